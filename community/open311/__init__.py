"""Open311 GeoReport v2: the county's 12345 platform (and others) exchange cases with us."""
