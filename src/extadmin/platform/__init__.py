"""The link to a real RingCentral account: the HTTP client (auth, paging, rate limits, retries),
the mapping between the platform's records and the account file, pull. Called by services,
never by the command line; it never prints (progress goes through a callback)."""
