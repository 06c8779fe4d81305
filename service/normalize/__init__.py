"""Pure normalization functions shared by parsers, the matcher and queries: names, identifiers, dates, countries."""
