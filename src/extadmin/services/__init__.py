"""One module per use case. Plain functions over the domain; no printing, no prompting."""
