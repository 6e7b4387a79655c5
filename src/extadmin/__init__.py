"""extadmin: provision users on a cloud phone system account from a terminal."""

__version__ = "0.1.0"
