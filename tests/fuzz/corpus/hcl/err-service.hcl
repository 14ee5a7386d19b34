services {
  name = "db"
}
services {
  name = "api"
  port = "http"
  checks {
    tcp = "x:1"
  }
}
