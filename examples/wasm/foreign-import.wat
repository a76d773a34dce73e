;; Imports a function endpoints do not provide: the hub refuses to register it.
(module
  (import "env" "launch_missiles" (func $launch (param i32)))
  (func (export "run") i32.const 1 call $launch)
  (memory (export "memory") 1))
