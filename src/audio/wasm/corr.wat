;; The echo canceller's delay search for five envelope blocks (correlateGroup in echo-canceller.ts):
;; for every lag L = 0..maxLag, five exponentially weighted updates in block order,
;;   c = lam * c + m_j * env[top + j - L],  j = 0..4,
;; each a multiply, a multiply and an add in f64 as JavaScript does them (no fused multiply-add in
;; WebAssembly), the envelope read from f32 and widened as a Float32Array read is: the same bits.
(module
  (memory (export "memory") 1)

  ;; corr: maxLag + 1 f64 at byte $corr. env: maxLag + 5 f32 at byte $env, env[top + j - L] at
  ;; index maxLag + j - L.
  (func (export "corr5")
    (param $corr i32) (param $env i32) (param $maxLag i32) (param $lam f64)
    (param $m0 f64) (param $m1 f64) (param $m2 f64) (param $m3 f64) (param $m4 f64)
    (local $pe i32) (local $end i32) (local $c f64)
    (local $e0 f64) (local $e1 f64) (local $e2 f64) (local $e3 f64) (local $e4 f64)
    (local.set $pe (i32.add (local.get $env) (i32.shl (local.get $maxLag) (i32.const 2))))
    (local.set $e1 (f64.promote_f32 (f32.load offset=4 (local.get $pe))))
    (local.set $e2 (f64.promote_f32 (f32.load offset=8 (local.get $pe))))
    (local.set $e3 (f64.promote_f32 (f32.load offset=12 (local.get $pe))))
    (local.set $e4 (f64.promote_f32 (f32.load offset=16 (local.get $pe))))
    (local.set $end (i32.add (local.get $corr) (i32.shl (i32.add (local.get $maxLag) (i32.const 1)) (i32.const 3))))
    (loop $lag
      (local.set $e0 (f64.promote_f32 (f32.load (local.get $pe))))
      (local.set $c (f64.load (local.get $corr)))
      (local.set $c (f64.add (f64.mul (local.get $lam) (local.get $c)) (f64.mul (local.get $m0) (local.get $e0))))
      (local.set $c (f64.add (f64.mul (local.get $lam) (local.get $c)) (f64.mul (local.get $m1) (local.get $e1))))
      (local.set $c (f64.add (f64.mul (local.get $lam) (local.get $c)) (f64.mul (local.get $m2) (local.get $e2))))
      (local.set $c (f64.add (f64.mul (local.get $lam) (local.get $c)) (f64.mul (local.get $m3) (local.get $e3))))
      (local.set $c (f64.add (f64.mul (local.get $lam) (local.get $c)) (f64.mul (local.get $m4) (local.get $e4))))
      (f64.store (local.get $corr) (local.get $c))
      (local.set $e4 (local.get $e3))
      (local.set $e3 (local.get $e2))
      (local.set $e2 (local.get $e1))
      (local.set $e1 (local.get $e0))
      (local.set $pe (i32.sub (local.get $pe) (i32.const 4)))
      (local.set $corr (i32.add (local.get $corr) (i32.const 8)))
      (br_if $lag (i32.lt_u (local.get $corr) (local.get $end)))))
)
