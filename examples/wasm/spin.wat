;; spin(): loops forever in a few instructions (stopped by the endpoint's time limit).
(module
  (func (export "spin") (loop $forever br $forever))
  (memory (export "memory") 1))
