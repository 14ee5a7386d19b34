datacenter = "dc1"
ports {
  dns = 8600
}
