ports {
  dns = 1
