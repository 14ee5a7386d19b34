services {
  id = "red0"
  name = "redis"
  tags = ["primary"]
  port = 6000
  checks = [
    {
      args = ["/bin/check_redis", "-p", "6000"]
      interval = "5s"
      timeout = "20s"
    }
  ]
}
services {
  id = "red1"
  name = "redis"
  port = 7000
  checks { ttl = "30s" }
}
