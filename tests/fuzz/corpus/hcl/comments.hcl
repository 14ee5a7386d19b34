# hash
// slashes
/* block
   over lines */ a = 1 # after
b = /* inside */ "x" // after
