a = <<EOF
  one
    two
EOF
b = <<-END
    one
      two
    END
c = 1
