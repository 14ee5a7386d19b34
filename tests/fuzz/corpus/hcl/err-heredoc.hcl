a = <<EOF
text
