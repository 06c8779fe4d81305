"""Invented business prose in eight languages, for judging free-text screening (`bench/eval_text.py`).

Clean documents mention invented people, companies and cities only: every one is screened against the loaded
lists first and redrawn if anything matches, so a flagged mention in them is a false alarm. People come from the
`names-dataset` package (first and last names by country, a source this project did not design) when it is
installed (`pip install -e '.[eval]'`); without it the hand-written pools of bench/pools.py stand in, and the
bench says so. Chinese surnames, company trade words, cities and the sentence frames are written here.

Two splits that share nothing: the tuning split uses frames "A", even-hashed names and seeds < 1000; the held-out
split uses frames "B", odd-hashed names and seeds >= 1000. Only the tuning split is looked at while tuning.
Recall documents embed real listed names (persons, organizations, vessels by IMO, aircraft by tail number, in
Latin and in their original scripts) in the same frames.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import pools
from service.model import Entity, EntityKind, IdentifierType, NameQuality, Query
from service.normalize.names import analyze
from service.normalize.scripts import detect_script

OUT_DIR = Path(__file__).resolve().parent / "out"
POOL_CACHE = OUT_DIR / "names_dataset_pools.json"  # loading names-dataset takes ~20 s and ~3 GB; cache the pools
POOL_SIZE = 400  # top names per country and gender taken from names-dataset
DOC_CHARS = 8_000  # the issue counts flagged mentions per 8,000 characters
LANGS = ("en", "es", "fr", "tr", "ru", "de", "zh", "ar")
HELD_OUT_SEED = 1000

# names-dataset countries per language, and the script a name must be in to sound right in that language's prose
_COUNTRIES: dict[str, tuple[tuple[str, ...], str]] = {
    "en": (("US", "GB"), "Latn"),
    "es": (("ES", "MX"), "Latn"),
    "fr": (("FR",), "Latn"),
    "tr": (("TR",), "Latn"),
    "ru": (("RU",), "Cyrl"),
    "de": (("DE",), "Latn"),
    "zh": (("CN", "TW"), "Hani"),
    "ar": (("EG", "SA", "JO", "IQ", "SY"), "Arab"),
}
# The most common Chinese surnames (China's 2020 household-register ranking); names-dataset has few in Hanzi.
_ZH_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷"
    "龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
)
_FALLBACK = {"en": "english", "es": "spanish", "fr": "french", "tr": "turkish", "ru": "russian", "de": "german"}

# fmt: off
CITIES: dict[str, tuple[str, ...]] = {
    "en": ("Manchester", "Rotterdam", "Singapore", "Chicago", "Dublin", "Hamburg", "Mumbai", "Toronto", "Sydney",
           "Houston", "Antwerp", "Lagos", "Nairobi", "Auckland", "Glasgow", "Seattle", "Osaka", "Lisbon"),
    "es": ("Valencia", "Sevilla", "Bilbao", "Zaragoza", "Monterrey", "Guadalajara", "Rosario", "Medellín",
           "Valparaíso", "Córdoba", "Málaga", "Puebla", "Cartagena", "Arequipa", "Salamanca", "Cádiz"),
    "fr": ("Lyon", "Marseille", "Toulouse", "Bordeaux", "Nantes", "Lille", "Strasbourg", "Rennes", "Montpellier",
           "Grenoble", "Dijon", "Genève", "Liège", "Québec", "Le Havre", "Clermont-Ferrand"),
    "tr": ("İstanbul'da", "Ankara'da", "İzmir'de", "Bursa'da", "Mersin'de", "Kayseri'de", "Gaziantep'te",
           "Konya'da", "Trabzon'da", "Samsun'da", "Eskişehir'de", "Antalya'da", "Denizli'de", "Adana'da"),
    "ru": ("Москве", "Казани", "Новосибирске", "Екатеринбурге", "Самаре", "Нижнем Новгороде", "Перми", "Уфе",
           "Ростове-на-Дону", "Краснодаре", "Владивостоке", "Калининграде", "Мурманске", "Твери", "Туле"),
    "de": ("Hamburg", "Bremen", "Stuttgart", "Leipzig", "Dresden", "Nürnberg", "Hannover", "Düsseldorf",
           "Mannheim", "Augsburg", "Kiel", "Rostock", "Freiburg", "Münster", "Wien", "Graz", "Basel"),
    "zh": ("北京", "上海", "广州", "深圳", "成都", "武汉", "杭州", "南京", "天津", "重庆", "西安", "苏州",
           "青岛", "宁波", "厦门", "大连", "长沙", "郑州"),
    "ar": ("القاهرة", "الرياض", "دبي", "عمان", "بيروت", "الدوحة", "الكويت", "جدة", "الإسكندرية", "تونس",
           "الدار البيضاء", "مسقط", "المنامة", "الخرطوم", "أبوظبي"),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "tr": ("Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım",
           "Aralık"),
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
           "ديسمبر"),
}
TITLES: dict[str, tuple[str, ...]] = {
    "en": ("Mr.", "Ms.", "Dr.", "Professor", "Chairman", "Minister"),
    "es": ("el señor", "la señora", "el doctor", "el ingeniero", "la ministra"),
    "fr": ("M.", "Mme", "le docteur", "le professeur", "le ministre"),
    "tr": ("Dr.", "Prof. Dr.", "Av.", "Bakan", "Genel Müdür"),
    "ru": ("господин", "профессор", "министр", "генеральный директор"),
    "de": ("Herr", "Frau", "Dr.", "Professor", "Minister", "Geschäftsführer"),
    "zh": ("董事长", "总经理", "部长", "教授"),
    "ar": ("السيد", "الدكتور", "الأستاذ", "المهندس", "الوزير"),
}
SECTORS: dict[str, tuple[str, ...]] = {
    "en": ("Logistics", "Freight", "Trading", "Engineering", "Consulting", "Foods", "Textiles", "Components",
           "Packaging", "Energy Services"),
    "es": ("Logística", "Transportes", "Construcciones", "Alimentos", "Textiles", "Ingeniería", "Distribuciones"),
    "fr": ("Logistique", "Transports", "Bâtiment", "Négoce", "Ingénierie", "Emballages", "Conseil"),
    "tr": ("İnşaat", "Lojistik", "Tekstil", "Gıda", "Otomotiv", "Enerji", "Makine"),
    "ru": ("Транс", "Логистик", "Строй", "Агро", "Снаб", "Промсервис", "Техно"),
    "de": ("Logistik", "Maschinenbau", "Spedition", "Handel", "Verpackung", "Elektrotechnik", "Metallbau"),
    "zh": ("贸易", "物流", "科技", "电子", "化工", "机械", "实业", "纺织"),
    "ar": ("للتجارة", "للنقل", "للمقاولات", "للصناعات الغذائية", "للخدمات اللوجستية", "للاستثمار"),
}
LEGAL: dict[str, tuple[str, ...]] = {
    "en": ("Ltd", "LLC", "Inc.", "plc", "Group", "Holdings"),
    "es": ("S.L.", "S.A.", "S.A. de C.V.", "y Asociados"),
    "fr": ("SARL", "SAS", "S.A.", "et Fils"),
    "tr": ("A.Ş.", "Ltd. Şti.", "Sanayi ve Ticaret A.Ş."),
    "ru": ("ООО", "АО", "ПАО"),
    "de": ("GmbH", "AG", "KG", "GmbH & Co. KG"),
    "zh": ("有限公司", "股份有限公司", "集团有限公司"),
    "ar": ("شركة", "مجموعة", "مؤسسة"),
}
ZH_TRADE = tuple("华信 恒达 金源 宏远 东方 中天 鑫泰 永盛 瑞丰 新星 远航 联创 德润 天成 嘉禾 博远 海纳 盛世".split())
AR_TRADE = ("النور", "الأمل", "الفجر", "الرواد", "الخليج", "النخبة", "الوفاء", "الهلال", "الصفوة", "الريادة")

# Sentence frames. {p}, {p2}: people; {c}: a company; {city}, {city2}; {date}; {t}: a title. Frames A are the
# tuning split, frames B the held-out split. Fillers carry the ordinary capitalised words of news prose.
FRAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "A": ("{p} met representatives of {c} in {city} on {date}.",
              "{t} {p}, chief executive of {c}, said the contract would be signed in {city}.",
              "According to {c}, the shipment left {city} for {city2} on {date}.",
              "{p} and {p2} discussed prices with {c} at the {city} trade fair.",
              "The board of {c} appointed {p} as finance director on {date}."),
        "B": ("On {date}, {p} flew to {city} to meet executives of {c}.",
              "{c} confirmed that {p} had joined its advisory board.",
              "In a statement issued in {city}, {t} {p} denied any link to {c}.",
              "Customs officers in {city} inspected goods shipped by {c} for {p} and {p2}."),
    },
    "es": {
        "A": ("{p} se reunió con representantes de {c} en {city} el {date}.",
              "{t} {p}, director general de {c}, dijo que el contrato se firmaría en {city}.",
              "Según {c}, el envío salió de {city} hacia {city2} el {date}.",
              "{p} y {p2} negociaron precios con {c} en la feria de {city}.",
              "El consejo de {c} nombró a {p} directora financiera el {date}."),
        "B": ("El {date}, {p} viajó a {city} para reunirse con directivos de {c}.",
              "{c} confirmó que {p} se había incorporado a su consejo asesor.",
              "En un comunicado emitido en {city}, {t} {p} negó cualquier vínculo con {c}.",
              "Agentes de aduanas de {city} revisaron mercancías enviadas por {c} a {p} y {p2}."),
    },
    "fr": {
        "A": ("{p} a rencontré des représentants de {c} à {city} le {date}.",
              "{t} {p}, directeur général de {c}, a déclaré que le contrat serait signé à {city}.",
              "Selon {c}, la cargaison a quitté {city} pour {city2} le {date}.",
              "{p} et {p2} ont discuté des prix avec {c} au salon de {city}.",
              "Le conseil d'administration de {c} a nommé {p} directrice financière le {date}."),
        "B": ("Le {date}, {p} s'est rendu à {city} pour rencontrer les dirigeants de {c}.",
              "{c} a confirmé que {p} avait rejoint son comité consultatif.",
              "Dans un communiqué publié à {city}, {t} {p} a démenti tout lien avec {c}.",
              "Les douaniers de {city} ont contrôlé des marchandises expédiées par {c} pour {p} et {p2}."),
    },
    "tr": {
        "A": ("{p}, {date} tarihinde {city} {c} temsilcileriyle görüştü.",
              "{c} genel müdürü {t} {p}, sözleşmenin {city} imzalanacağını söyledi.",
              "{c} yetkililerine göre sevkiyat {date} tarihinde {city} yola çıktı.",
              "{p} ve {p2}, {city} düzenlenen fuarda {c} ile fiyatları görüştü.",
              "{c} yönetim kurulu, {date} tarihinde {p} adlı yöneticiyi finans direktörü olarak atadı."),
        "B": ("{date} tarihinde {city} bulunan {p}, {c} yöneticileriyle bir araya geldi.",
              "{c}, {p} adlı uzmanın danışma kuruluna katıldığını doğruladı.",
              "{city} yapılan açıklamada {t} {p}, {c} ile herhangi bir bağlantısı olmadığını belirtti.",
              "Gümrük memurları {city} {c} tarafından {p} ve {p2} için gönderilen malları inceledi."),
    },
    "ru": {
        "A": ("{p} встретился с представителями компании {c} в {city} {date}.",
              "{t} {p}, генеральный директор компании {c}, заявил, что контракт будет подписан в {city}.",
              "По данным компании {c}, груз отправлен из {city} {date}.",
              "{p} и {p2} обсудили цены с компанией {c} на выставке в {city}.",
              "Совет директоров компании {c} {date} назначил {p} финансовым директором."),
        "B": ("{date} {p} прилетел в {city}, чтобы встретиться с руководством компании {c}.",
              "Компания {c} подтвердила, что {p} вошёл в её консультативный совет.",
              "В заявлении, опубликованном в {city}, {t} {p} отрицал какую-либо связь с компанией {c}.",
              "Таможенники в {city} проверили товары, отправленные компанией {c} для {p} и {p2}."),
    },
    "de": {
        "A": ("{p} traf sich am {date} in {city} mit Vertretern der {c}.",
              "{t} {p}, Geschäftsführer der {c}, sagte, der Vertrag werde in {city} unterzeichnet.",
              "Nach Angaben der {c} verließ die Lieferung {city} am {date} in Richtung {city2}.",
              "{p} und {p2} verhandelten auf der Messe in {city} mit der {c} über Preise.",
              "Der Aufsichtsrat der {c} berief {p} am {date} zur Finanzvorständin."),
        "B": ("Am {date} reiste {p} nach {city}, um die Geschäftsleitung der {c} zu treffen.",
              "Die {c} bestätigte, dass {p} ihrem Beirat beigetreten sei.",
              "In einer in {city} veröffentlichten Erklärung bestritt {t} {p} jede Verbindung zur {c}.",
              "Zollbeamte in {city} prüften Waren, die die {c} für {p} und {p2} verschickt hatte."),
    },
    "zh": {
        "A": ("{p}于{date}在{city}会见了{c}的代表。",
              "{c}总经理{p}表示，合同将在{city}签署。",
              "据{c}称，货物已于{date}从{city}发往{city2}。",
              "{p}和{p2}在{city}博览会上与{c}洽谈了价格。",
              "{c}董事会于{date}任命{p}为财务总监。"),
        "B": ("{date}，{p}飞抵{city}市，与{c}高层会面。",
              "{c}证实，{p}已加入其顾问委员会。",
              "{t}{p}在{city}发表声明，否认与{c}有任何关联。",
              "{city}海关人员检查了{c}为{p}和{p2}发运的货物。"),
    },
    "ar": {
        "A": ("التقى {p} بممثلين عن {c} في {city} يوم {date}.",
              "وقال {t} {p}، المدير التنفيذي لـ{c}، إن العقد سيوقع في {city}.",
              "ووفقا لـ{c}، غادرت الشحنة {city} متجهة إلى {city2} في {date}.",
              "وناقش {p} و{p2} الأسعار مع {c} في معرض {city}.",
              "وعين مجلس إدارة {c} {p} مديرا ماليا في {date}."),
        "B": ("وفي {date}، توجه {p} إلى {city} للقاء مسؤولي {c}.",
              "وأكدت {c} أن {p} انضم إلى مجلسها الاستشاري.",
              "وفي بيان صدر في {city}، نفى {t} {p} أي صلة بـ{c}.",
              "وفتش موظفو الجمارك في {city} بضائع أرسلتها {c} إلى {p} و{p2}."),
    },
}
FILLERS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "A": ("The talks focused on delivery schedules, insurance and payment terms.",
              "Analysts in Latin America and the Middle East expect demand to grow next year.",
              "The company said its GmbH subsidiary in Europe would not be affected.",
              "On Monday the King and the Prime Minister opened the new Container Terminal.",
              "The Professor of Economics at the National University welcomed the agreement."),
        "B": ("Officials from the Ministry of Transport and the Central Bank attended the meeting.",
              "The European Commission and the World Bank published new forecasts on Tuesday.",
              "Shares of the Holding rose after the Annual General Meeting in June.",
              "Sales in South America and Southeast Asia fell slightly, the Group said."),
    },
    "es": {
        "A": ("Las conversaciones se centraron en los plazos de entrega, el seguro y las condiciones de pago.",
              "Los analistas de América Latina y Oriente Medio esperan que la demanda crezca el próximo año.",
              "El Rey y el Presidente del Gobierno inauguraron el lunes la nueva Terminal de Contenedores.",
              "El Ministerio de Economía y el Banco Central publicaron nuevas previsiones."),
        "B": ("La Comisión Europea y el Banco Mundial revisaron sus previsiones el martes.",
              "Las ventas en Sudamérica y el Sudeste Asiático bajaron ligeramente, según el Grupo.",
              "La Junta General de Accionistas aprobó las cuentas de la Sociedad Anónima en junio."),
    },
    "fr": {
        "A": ("Les discussions ont porté sur les délais de livraison, l'assurance et les conditions de paiement.",
              "Les analystes d'Amérique latine et du Moyen-Orient prévoient une hausse de la demande.",
              "Le Roi et le Premier ministre ont inauguré lundi le nouveau Terminal à conteneurs.",
              "Le Ministère de l'Économie et la Banque Centrale ont publié de nouvelles prévisions."),
        "B": ("La Commission européenne et la Banque mondiale ont révisé leurs prévisions mardi.",
              "Les ventes en Amérique du Sud et en Asie du Sud-Est ont légèrement reculé, selon le Groupe.",
              "L'Assemblée Générale des actionnaires de la Société Anonyme a approuvé les comptes en juin."),
    },
    "tr": {
        "A": ("Görüşmelerde teslim tarihleri, sigorta ve ödeme koşulları ele alındı.",
              "Latin Amerika ve Orta Doğu'daki analistler talebin gelecek yıl artmasını bekliyor.",
              "Cumhurbaşkanı ve Ticaret Bakanı pazartesi günü yeni Konteyner Terminali'ni açtı.",
              "Merkez Bankası ve Hazine ve Maliye Bakanlığı yeni tahminlerini açıkladı."),
        "B": ("Avrupa Komisyonu ve Dünya Bankası salı günü tahminlerini güncelledi.",
              "Grup, Güney Amerika ve Güneydoğu Asya'daki satışların hafifçe düştüğünü açıkladı.",
              "Anonim Şirket'in Genel Kurulu haziran ayında bilançoyu onayladı."),
    },
    "ru": {
        "A": ("Переговоры касались сроков поставки, страхования и условий оплаты.",
              "Аналитики в Латинской Америке и на Ближнем Востоке ожидают роста спроса в следующем году.",
              "В понедельник Президент и Председатель Правительства открыли новый Контейнерный терминал.",
              "Министерство экономического развития и Центральный банк опубликовали новые прогнозы."),
        "B": ("Европейская комиссия и Всемирный банк во вторник пересмотрели свои прогнозы.",
              "Продажи в Южной Америке и Юго-Восточной Азии немного снизились, сообщила Группа.",
              "Общее собрание акционеров Акционерного общества утвердило отчётность в июне."),
    },
    "de": {
        "A": ("Die Gespräche drehten sich um Lieferfristen, Versicherung und Zahlungsbedingungen.",
              "Analysten in Lateinamerika und im Nahen Osten erwarten im nächsten Jahr eine steigende Nachfrage.",
              "Die Tochtergesellschaft der GmbH in Europa sei nicht betroffen, teilte das Unternehmen mit.",
              "Am Montag eröffneten der König und der Ministerpräsident das neue Containerterminal.",
              "Der Professor für Volkswirtschaft an der Technischen Universität begrüßte die Vereinbarung."),
        "B": ("Vertreter des Bundesministeriums für Verkehr und der Zentralbank nahmen an dem Treffen teil.",
              "Die Europäische Kommission und die Weltbank veröffentlichten am Dienstag neue Prognosen.",
              "Die Aktie der Holding stieg nach der Hauptversammlung im Juni.",
              "Der Umsatz in Südamerika und Südostasien ging leicht zurück, teilte der Konzern mit."),
    },
    "zh": {
        "A": ("双方重点讨论了交货时间、保险和付款条件。",
              "拉丁美洲和中东的分析人士预计明年需求将会增长。",
              "该公司表示，其在欧洲的子公司不会受到影响。",
              "国王和首相周一为新集装箱码头揭幕。",
              "国立大学经济学教授对这项协议表示欢迎。"),
        "B": ("交通运输部和中央银行的官员出席了会议。",
              "欧盟委员会和世界银行周二发布了新的预测。",
              "集团表示，南美和东南亚的销售额略有下降。",
              "股东大会于六月批准了年度报告。"),
    },
    "ar": {
        "A": ("وركزت المحادثات على مواعيد التسليم والتأمين وشروط الدفع.",
              "ويتوقع المحللون في أمريكا اللاتينية والشرق الأوسط أن يرتفع الطلب في العام المقبل.",
              "وافتتح الملك ورئيس الوزراء محطة الحاويات الجديدة يوم الاثنين.",
              "ورحب الأستاذ في جامعة القاهرة بالاتفاق، وقال الخبير إن الأسعار ستستقر."),
        "B": ("وحضر الاجتماع مسؤولون من وزارة النقل والبنك المركزي.",
              "ونشرت المفوضية الأوروبية والبنك الدولي توقعات جديدة يوم الثلاثاء.",
              "وقالت المجموعة إن المبيعات في أمريكا الجنوبية وجنوب شرق آسيا تراجعت قليلا."),
    },
}
# Frames for listed vessels and aircraft: {v} a vessel's name, {imo} its number, {tail} a registration mark.
VESSEL_FRAMES: dict[str, str] = {
    "en": "The tanker {v} (IMO {imo}) was seen near {city} on {date}.",
    "es": "El buque {v} (IMO {imo}) fue visto cerca de {city} el {date}.",
    "fr": "Le navire {v} (OMI {imo}) a été aperçu près de {city} le {date}.",
    "tr": "{v} adlı tanker (IMO {imo}) {date} tarihinde {city} görüldü.",
    "ru": "Танкер {v} (IMO {imo}) был замечен у {city} {date}.",
    "de": "Der Tanker {v} (IMO {imo}) wurde am {date} vor {city} gesichtet.",
    "zh": "油轮{v}（IMO {imo}）于{date}在{city}附近被发现。",
    "ar": "وشوهدت الناقلة {v} (رقم المنظمة البحرية IMO {imo}) قرب {city} في {date}.",
}
AIRCRAFT_FRAMES: dict[str, str] = {
    "en": "An aircraft with registration {tail} landed in {city} on {date}.",
    "es": "Un avión con matrícula {tail} aterrizó en {city} el {date}.",
    "fr": "Un avion immatriculé {tail} a atterri à {city} le {date}.",
    "tr": "{tail} tescilli uçak {date} tarihinde {city} indi.",
    "ru": "Самолёт с бортовым номером {tail} приземлился в {city} {date}.",
    "de": "Ein Flugzeug mit dem Kennzeichen {tail} landete am {date} in {city}.",
    "zh": "注册号为{tail}的飞机于{date}降落在{city}。",
    "ar": "وهبطت طائرة تحمل رقم التسجيل {tail} في {city} في {date}.",
}
# fmt: on


def _split_of(name: str) -> str:
    return "A" if zlib.crc32(name.encode()) % 2 == 0 else "B"


@dataclass
class Pools:
    source: str  # "names-dataset 3.x" or a note on the fallback
    first: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (lang, split) -> names
    last: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _usable(name: str, script: str) -> bool:
    name = name.strip()
    return (
        len(name) >= 2
        and " " not in name
        and all(ch.isalpha() or ch in "-'" for ch in name)
        and detect_script(name) == script
        and (script != "Latn" or name[0].isupper())
    )


def _names_dataset_pools() -> dict[str, dict[str, list[str]]] | None:
    if POOL_CACHE.exists():
        data: dict[str, dict[str, list[str]]] = json.loads(POOL_CACHE.read_text(encoding="utf-8"))
        return data
    try:
        from names_dataset import NameDataset  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    nd = NameDataset()
    out: dict[str, dict[str, list[str]]] = {}
    for countries, _ in _COUNTRIES.values():
        for cc in countries:
            first = nd.get_top_names(n=POOL_SIZE, country_alpha2=cc)[cc]
            last = nd.get_top_names(n=POOL_SIZE, use_first_names=False, country_alpha2=cc)[cc]
            out[cc] = {"first": first.get("M", []) + first.get("F", []), "last": list(last)}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    POOL_CACHE.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


def load_pools() -> Pools:
    nd = _names_dataset_pools()
    pools_out = Pools(source="names-dataset (first and last names by country)" if nd else "")
    if nd is None:
        pools_out.source = (
            "names-dataset NOT installed (pip install -e '.[eval]'): hand-written bench/pools.py names stand in "
            "for en/es/fr/tr/ru/de/ar, so the clean names come from the same hands as the rules"
        )
    for lang, (countries, script) in _COUNTRIES.items():
        first: list[str] = []
        last: list[str] = []
        if nd is not None:
            for cc in countries:
                first += [n.strip() for n in nd[cc]["first"] if _usable(n, script)]
                last += [n.strip() for n in nd[cc]["last"] if _usable(n, script)]
        if lang == "zh":
            last = list(_ZH_SURNAMES)
            first = first or ["志强", "晓明", "海涛", "建华", "文杰", "丽娜", "春华", "玉兰"]
        elif nd is None or not first or not last:
            culture = _FALLBACK.get(lang, "arabic")
            first = list(pools.GIVEN[culture])
            last = list(pools.FAMILY[culture])
            if lang == "ar":
                first, last = list(pools.ARABIC_GIVEN), list(pools.ARABIC_FAMILY)
        for split in "AB":
            pools_out.first[(lang, split)] = sorted({n for n in first if _split_of(n) == split})
            pools_out.last[(lang, split)] = sorted({n for n in last if _split_of(n) == split})
    return pools_out


Screen = Callable[[Query], bool]  # True when anything on the lists matches (the party is not clean)


class Generator:
    """Draws clean invented parties for one language and split, and writes documents with them."""

    def __init__(self, lang: str, split: str, pools_: Pools, is_listed: Screen, seed: int) -> None:
        self.lang, self.split = lang, split
        self.rng = random.Random(f"{lang}/{split}/{seed}")
        self.first = pools_.first[(lang, split)]
        self.last = pools_.last[(lang, split)]
        self.is_listed = is_listed
        self.rejected: list[str] = []  # invented parties that turned out to match a listed one

    def _clean(self, make: Callable[[], str], kind: EntityKind) -> str:
        for _ in range(50):
            value = make()
            if not self.is_listed(Query(name=value, kind=kind)):
                return value
            self.rejected.append(value)
        raise RuntimeError(f"no clean {kind.value} for {self.lang} after 50 draws")

    def person(self) -> str:
        def make() -> str:
            given, family = self.rng.choice(self.first), self.rng.choice(self.last)
            if self.lang == "zh":
                return family + given
            return f"{given} {family}"

        return self._clean(make, EntityKind.PERSON)

    def company(self) -> str:
        lang, rng = self.lang, self.rng

        def make() -> str:
            sector, legal = rng.choice(SECTORS[lang]), rng.choice(LEGAL[lang])
            family = rng.choice(self.last)
            if lang == "zh":
                city = rng.choice(CITIES["zh"])
                return f"{city}{rng.choice(ZH_TRADE)}{sector}{legal}"
            if lang == "ar":
                trade = rng.choice((family, *AR_TRADE))
                return f"{legal} {trade} {sector}"
            if lang == "ru":
                return f"{legal} «{family.rstrip('аья')}{sector}»" if rng.random() < 0.5 else f"{legal} «{family}»"
            if lang == "es" and rng.random() < 0.5:
                return f"{sector} {family} {legal}"
            if lang == "fr" and rng.random() < 0.5:
                return f"{sector} {family} {legal}"
            if lang == "de" and rng.random() < 0.3:
                return f"{family} & Söhne {legal}"
            return f"{family} {sector} {legal}"

        return self._clean(make, EntityKind.ORGANIZATION)

    def city(self) -> str:
        return self.rng.choice(CITIES[self.lang])

    def date(self) -> str:
        day, month, year = self.rng.randint(1, 28), self.rng.randint(1, 12), self.rng.randint(2015, 2026)
        lang = self.lang
        if lang == "zh":
            return f"{year}年{month}月{day}日"
        name = MONTHS[lang][month - 1]
        return {
            "en": f"{day} {name} {year}",
            "es": f"{day} de {name} de {year}",
            "fr": f"{day} {name} {year}",
            "tr": f"{day} {name} {year}",
            "ru": f"{day} {name} {year} года",
            "de": f"{day}. {name} {year}",
            "ar": f"{day} {name} {year}",
        }[lang]

    def fill(self, frame: str, **given: str) -> str:
        values = {
            "p": given.get("p") or self.person(),
            "p2": given.get("p2") or self.person(),
            "c": given.get("c") or self.company(),
            "city": self.city(),
            "city2": self.city(),
            "date": self.date(),
            "t": self.rng.choice(TITLES[self.lang]),
        }
        if self.lang == "zh" and "{t}" not in frame and self.rng.random() < 0.3:
            # a Chinese title or honorific follows the name ("王志强先生")
            values["p"] += self.rng.choice(("先生", "女士", "教授", "经理"))
        return frame.format(**values)

    def document(self, chars: int = DOC_CHARS) -> str:
        frames, fillers = FRAMES[self.lang][self.split], FILLERS[self.lang][self.split]
        sep = "" if self.lang == "zh" else " "
        parts: list[str] = []
        size = 0
        while size < chars:
            sentence = self.fill(self.rng.choice(frames)) if self.rng.random() < 0.7 else self.rng.choice(fillers)
            parts.append(sentence)
            size += len(sentence) + len(sep)
            if self.rng.random() < 0.15:
                parts.append("\n\n")
        return sep.join(parts).replace(" \n\n ", "\n\n")


@dataclass(frozen=True, slots=True)
class Embedded:
    """A listed party written into a recall document, and where."""

    entity_id: str
    kind: str  # person, organization, vessel, aircraft
    script: str  # the script of the embedded form
    value: str
    start: int
    end: int


def prose_name(entity: Entity, script: str = "Latn") -> str | None:
    """How prose writes a listed party's name: natural order, title case for Latin names written in capitals."""
    names = [n for n in entity.all_names() if n.quality == NameQuality.STRONG and n.script == script]
    if not names:
        return None
    name = names[0]
    if script != "Latn":
        return name.full.strip() or None
    if entity.kind == EntityKind.PERSON and name.given and name.family:
        full = " ".join(p for p in (name.given, name.family) if p)
    elif entity.kind == EntityKind.PERSON and "," in name.full:
        family, _, given = name.full.partition(",")
        full = f"{given.strip()} {family.strip()}"
    else:
        full = name.full
    if full.isupper():
        full = " ".join(w if len(w) <= 3 and entity.kind != EntityKind.PERSON else w.capitalize() for w in full.split())
    return full.strip() or None


def _prose_ready(value: str, kind: EntityKind) -> bool:
    norm = analyze(value)
    normal = sum(1 for c in norm.classes if c == 0)
    # one-word persons (a nom de guerre) and names full of punctuation are not what prose carries
    return normal >= 2 and len(value) <= 60 and not any(ch in value for ch in '();:/"')


def pick_listed(entities: Sequence[Entity], seed: int, per_kind: int) -> list[tuple[Entity, str, str]]:
    """(entity, prose form, script) for a sample of listed persons, organizations (Latin and original script),
    vessels with an IMO number and aircraft with a tail number."""
    rng = random.Random(seed)
    buckets: dict[str, list[tuple[Entity, str, str]]] = {}
    for e in entities:
        if e.kind in (EntityKind.PERSON, EntityKind.ORGANIZATION):
            for script in ("Latn", "Cyrl", "Arab", "Hani"):
                value = prose_name(e, script)
                if value and (script != "Latn" or _prose_ready(value, e.kind)):
                    key = f"{e.kind.value}/{script}"
                    buckets.setdefault(key, []).append((e, value, script))
        elif e.kind == EntityKind.VESSEL:
            imo = next((i.value for i in e.identifiers if i.type == IdentifierType.IMO), None)
            if imo:
                buckets.setdefault("vessel/Latn", []).append((e, imo, "Latn"))
        elif e.kind == EntityKind.AIRCRAFT:
            tail = next((i.value for i in e.identifiers if i.type == IdentifierType.TAIL_NUMBER), None)
            if tail:
                buckets.setdefault("aircraft/Latn", []).append((e, tail, "Latn"))
    out: list[tuple[Entity, str, str]] = []
    for key in sorted(buckets):
        items = buckets[key]
        out += rng.sample(items, min(per_kind, len(items)))
    return out


_SCRIPT_LANG = {"Cyrl": ("ru",), "Arab": ("ar",), "Hani": ("zh",), "Latn": ("en", "es", "fr", "tr", "de")}


def recall_document(
    gen_for: Callable[[str], Generator], items: Sequence[tuple[Entity, str, str]], rng: random.Random
) -> list[tuple[str, str, list[Embedded]]]:
    """One sentence per listed item, in a language that writes its script: (lang, text, embedded)."""
    out: list[tuple[str, str, list[Embedded]]] = []
    for e, value, script in items:
        lang = rng.choice(_SCRIPT_LANG[script])
        gen = gen_for(lang)
        marker = "\u2063"  # invisible separator: find where the value landed after formatting
        if e.kind == EntityKind.VESSEL:
            vessel = prose_name(e) or "Unknown"
            text = gen.fill(VESSEL_FRAMES[lang].replace("{v}", vessel.replace("{", "")).replace("{imo}", marker))
            value_text = value
        elif e.kind == EntityKind.AIRCRAFT:
            text = gen.fill(AIRCRAFT_FRAMES[lang].replace("{tail}", marker))
            value_text = value
        else:
            slot = "c" if e.kind == EntityKind.ORGANIZATION else "p"
            frame = rng.choice([f for f in FRAMES[lang][gen.split] if "{" + slot + "}" in f])
            text = gen.fill(frame, **{slot: marker})
            value_text = value
        start = text.index(marker)
        text = text.replace(marker, value_text, 1)
        out.append((lang, text, [Embedded(e.id, e.kind.value, script, value_text, start, start + len(value_text))]))
    return out
