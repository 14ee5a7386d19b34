service {
  name = "a"
}
service {
  name = "b"
}
check {
  name = "c"
  ttl = "5s"
}
