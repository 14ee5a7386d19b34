node_meta = { rack = "r1", "instance-type": "m5" }
a = 8600
b = -1
c = 1.5
d = 2e3
e = [1, "two", [3], { four = 4 },]
