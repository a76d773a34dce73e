;; add(a, b): the smallest wasm function, an exported entrypoint called with two numbers.
(module
  (func (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)
  (memory (export "memory") 1))
