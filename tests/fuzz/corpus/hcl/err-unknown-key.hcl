# c
portz {
  dns = 53
}
ports {
  dns = "fifty"
}
