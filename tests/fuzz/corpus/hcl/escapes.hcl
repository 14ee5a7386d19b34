s = "tab\there \"q\" back\\slash\nnew \u00e9 \U0001F600 \/"
