"""The CI screening hook (`sanctions check`): read counterparty files, screen them, report, exit 0/1/2."""
