"""The MySQL/MariaDB backend: Django's, with faster DATE and DATETIME conversion."""
