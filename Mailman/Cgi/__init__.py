"""One module per web page; scripts/driver dispatches to them."""
