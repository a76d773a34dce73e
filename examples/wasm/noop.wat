;; noop(): does nothing and returns 0 (the benchmark's function).
(module
  (func (export "noop") (result i32) i32.const 0)
  (memory (export "memory") 1))
