;; SIMD kernel behind the echo canceller's linear filters (src/audio/echo-canceller.ts): one
;; microphone frame through a foreground FIR filter (fixed) and a background one adapted by NLMS
;; sample by sample, in one fused pass per sample.
;;
;; Layout (byte offsets, f32 unless said): `win` holds the reference window, taps + n samples,
;; oldest first: sample i of the frame is filtered with win[i .. i + taps - 1], whose last element
;; is the newest reference sample under tap 0. `wr` and `wfr` hold the background and foreground
;; taps in reverse order (wr[j] = tap taps - 1 - j), so both walk the window forwards; `wr` is
;; adapted in place. `mic` holds the frame; the foreground error goes to `err`; `sums` (six f64)
;; receives the frame's powers: microphone, foreground error, background error, foreground
;; estimate, error x estimate, aligned reference.
;;
;; Per sample i with the background estimate yb (from the previous pass):
;;   eb = d - yb; g = mu * eb / (px + delta)       px: power of the window, kept sliding
;;   yf = wf . x_i;  w += g * x_i;  yb = w . x_(i+1);  e = d - yf
;; The dot products and the update are f32x4, eight taps a step (taps is a multiple of 8) with two
;; accumulators each; the per-sample scalars and the powers are f64.
;; Built into nlms-wasm.ts by `npm run build:wasm` (wabt's wat2wasm).
(module
  (memory (export "memory") 1)
  (func $hsum (param $v v128) (result f64)
    (f64.promote_f32
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
        (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v))))))
  (func (export "nlms")
    (param $win i32) (param $wr i32) (param $wfr i32) (param $mic i32) (param $err i32) (param $sums i32)
    (param $n i32) (param $taps i32) (param $mu f64) (param $delta f64)
    (local $i i32) (local $k i32) (local $x i32) (local $tb i32)
    (local $px f64) (local $yb f64) (local $yf f64) (local $d f64) (local $eb f64) (local $e f64) (local $v f64)
    (local $pd f64) (local $pe f64) (local $peb f64) (local $py f64) (local $pey f64) (local $pr f64)
    (local $g v128) (local $f0 v128) (local $f1 v128) (local $a0 v128) (local $a1 v128)
    (local $x0 v128) (local $x1 v128) (local $w0 v128) (local $w1 v128)
    (local.set $tb (i32.shl (local.get $taps) (i32.const 2)))
    ;; the first window: its power, and the background estimate for sample 0
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $k) (local.get $tb)))
        (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $win) (local.get $k)))))
        (local.set $px (f64.add (local.get $px) (f64.mul (local.get $v) (local.get $v))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $each)))
    (local.set $k (i32.const 0))
    (local.set $a0 (v128.const f32x4 0 0 0 0))
    (local.set $a1 (v128.const f32x4 0 0 0 0))
    (loop $first
      (local.set $a0 (f32x4.add (local.get $a0)
        (f32x4.mul (v128.load (i32.add (local.get $wr) (local.get $k))) (v128.load (i32.add (local.get $win) (local.get $k))))))
      (local.set $a1 (f32x4.add (local.get $a1)
        (f32x4.mul (v128.load offset=16 (i32.add (local.get $wr) (local.get $k))) (v128.load offset=16 (i32.add (local.get $win) (local.get $k))))))
      (br_if $first (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 32))) (local.get $tb))))
    (local.set $yb (call $hsum (f32x4.add (local.get $a0) (local.get $a1))))
    (block $frame_done
      (loop $each_sample
        (br_if $frame_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.add (local.get $win) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $d (f64.promote_f32 (f32.load (i32.add (local.get $mic) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $eb (f64.sub (local.get $d) (local.get $yb)))
        (local.set $peb (f64.add (local.get $peb) (f64.mul (local.get $eb) (local.get $eb))))
        (local.set $g (f32x4.splat (f32.demote_f64
          (f64.div (f64.mul (local.get $mu) (local.get $eb)) (f64.add (local.get $px) (local.get $delta))))))
        ;; slide the window's power: win[i + taps] comes in, win[i] goes out
        (local.set $v (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $tb)))))
        (local.set $px (f64.add (local.get $px) (f64.mul (local.get $v) (local.get $v))))
        (local.set $v (f64.promote_f32 (f32.load (local.get $x))))
        (local.set $px (f64.sub (local.get $px) (f64.mul (local.get $v) (local.get $v))))
        (if (f64.lt (local.get $px) (f64.const 0)) (then (local.set $px (f64.const 0))))
        (local.set $f0 (v128.const f32x4 0 0 0 0))
        (local.set $f1 (v128.const f32x4 0 0 0 0))
        (local.set $a0 (v128.const f32x4 0 0 0 0))
        (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $each_step
          (local.set $x0 (v128.load (i32.add (local.get $x) (local.get $k))))
          (local.set $x1 (v128.load offset=16 (i32.add (local.get $x) (local.get $k))))
          (local.set $f0 (f32x4.add (local.get $f0) (f32x4.mul (v128.load (i32.add (local.get $wfr) (local.get $k))) (local.get $x0))))
          (local.set $f1 (f32x4.add (local.get $f1) (f32x4.mul (v128.load offset=16 (i32.add (local.get $wfr) (local.get $k))) (local.get $x1))))
          (local.set $w0 (f32x4.add (v128.load (i32.add (local.get $wr) (local.get $k))) (f32x4.mul (local.get $g) (local.get $x0))))
          (local.set $w1 (f32x4.add (v128.load offset=16 (i32.add (local.get $wr) (local.get $k))) (f32x4.mul (local.get $g) (local.get $x1))))
          (v128.store (i32.add (local.get $wr) (local.get $k)) (local.get $w0))
          (v128.store offset=16 (i32.add (local.get $wr) (local.get $k)) (local.get $w1))
          ;; the next sample's window is this one moved on by one sample
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $w0) (v128.load offset=4 (i32.add (local.get $x) (local.get $k))))))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $w1) (v128.load offset=20 (i32.add (local.get $x) (local.get $k))))))
          (br_if $each_step (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 32))) (local.get $tb))))
        (local.set $yb (call $hsum (f32x4.add (local.get $a0) (local.get $a1))))
        (local.set $yf (call $hsum (f32x4.add (local.get $f0) (local.get $f1))))
        (local.set $e (f64.sub (local.get $d) (local.get $yf)))
        (f32.store (i32.add (local.get $err) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $e)))
        ;; the newest reference sample under tap 0
        (local.set $v (f64.promote_f32 (f32.load (i32.sub (i32.add (local.get $x) (local.get $tb)) (i32.const 4)))))
        (local.set $pr (f64.add (local.get $pr) (f64.mul (local.get $v) (local.get $v))))
        (local.set $pd (f64.add (local.get $pd) (f64.mul (local.get $d) (local.get $d))))
        (local.set $pe (f64.add (local.get $pe) (f64.mul (local.get $e) (local.get $e))))
        (local.set $py (f64.add (local.get $py) (f64.mul (local.get $yf) (local.get $yf))))
        (local.set $pey (f64.add (local.get $pey) (f64.mul (local.get $e) (local.get $yf))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_sample)))
    (f64.store (local.get $sums) (local.get $pd))
    (f64.store offset=8 (local.get $sums) (local.get $pe))
    (f64.store offset=16 (local.get $sums) (local.get $peb))
    (f64.store offset=24 (local.get $sums) (local.get $py))
    (f64.store offset=32 (local.get $sums) (local.get $pey))
    (f64.store offset=40 (local.get $sums) (local.get $pr)))
)
