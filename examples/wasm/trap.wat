;; divide(a, b): a / b; dividing by zero traps.
(module
  (func (export "divide") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.div_s)
  (memory (export "memory") 1))
