datacenter = "dc1"

ports 8600
