;; SIMD kernel behind tolk's resamplers: a FIR filter evaluated at evenly spaced positions.
;;
;;   out[o] = sum over k < 4 * nvec of taps[k] * input[o * stride + k]     (o < count)
;;
;; Everything is f32 in linear memory; pointers are byte offsets. Four taps are multiplied per
;; instruction (f32x4), with two accumulators so consecutive adds do not wait on each other; the
;; order of additions is fixed, so an output never depends on how the stream was cut into chunks.
;; Built into fir-wasm.ts by `npm run build:wasm` (wabt's wat2wasm).
(module
  (memory (export "memory") 1)
  (func (export "fir")
    (param $taps i32) (param $nvec i32) (param $in i32) (param $out i32) (param $count i32) (param $stride i32)
    (local $o i32) (local $t i32) (local $x i32) (local $n i32) (local $step i32)
    (local $a v128) (local $b v128)
    (local.set $step (i32.shl (local.get $stride) (i32.const 2)))
    (block $done
      (loop $each_output
        (br_if $done (i32.ge_u (local.get $o) (local.get $count)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $t (local.get $taps))
        (local.set $x (local.get $in))
        (local.set $n (local.get $nvec))
        ;; four pairs of vectors at a time while at least four pairs are left, then single pairs
        ;; (nvec is even); the additions into $a and $b come in the same order either way
        (block $quads_done
          (loop $each_quad
            (br_if $quads_done (i32.lt_u (local.get $n) (i32.const 8)))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load (local.get $t)) (v128.load (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=16 (local.get $t)) (v128.load offset=16 (local.get $x)))))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load offset=32 (local.get $t)) (v128.load offset=32 (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=48 (local.get $t)) (v128.load offset=48 (local.get $x)))))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load offset=64 (local.get $t)) (v128.load offset=64 (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=80 (local.get $t)) (v128.load offset=80 (local.get $x)))))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load offset=96 (local.get $t)) (v128.load offset=96 (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=112 (local.get $t)) (v128.load offset=112 (local.get $x)))))
            (local.set $t (i32.add (local.get $t) (i32.const 128)))
            (local.set $x (i32.add (local.get $x) (i32.const 128)))
            (local.set $n (i32.sub (local.get $n) (i32.const 8)))
            (br $each_quad)))
        (block $pairs_done
          (loop $each_pair
            (br_if $pairs_done (i32.eqz (local.get $n)))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load (local.get $t)) (v128.load (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=16 (local.get $t)) (v128.load offset=16 (local.get $x)))))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $x (i32.add (local.get $x) (i32.const 32)))
            (local.set $n (i32.sub (local.get $n) (i32.const 2)))
            (br $each_pair)))
        (local.set $a (f32x4.add (local.get $a) (local.get $b)))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $in (i32.add (local.get $in) (local.get $step)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $each_output))))

  ;; The same sums as fir, rounded (half up, as Math.round) and clamped to int16 (NaN: 0), stored as
  ;; i16 at out + 2 * o * outStep. With $copy (a byte offset, 0: none), each output is followed by the f32
  ;; at copy + 4 * o, an int16 value, as i16 (the upsampler's copy phase).
  (func (export "fir_i16")
    (param $taps i32) (param $nvec i32) (param $in i32) (param $out i32) (param $count i32) (param $stride i32)
    (param $outStep i32) (param $copy i32)
    (local $o i32) (local $step i32) (local $ostep i32) (local $t i32) (local $x i32) (local $n i32) (local $v i32)
    (local $a v128) (local $b v128)
    (local.set $step (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $ostep (i32.shl (local.get $outStep) (i32.const 1)))
    (block $done
      (loop $each_output
        (br_if $done (i32.ge_u (local.get $o) (local.get $count)))
        (local.set $t (local.get $taps))
        (local.set $x (local.get $in))
        (local.set $n (local.get $nvec))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        ;; four pairs of vectors at a time while at least four pairs are left, then single pairs
        ;; (nvec is even); the additions into $a and $b come in the same order either way
        (block $quads_done
          (loop $each_quad
            (br_if $quads_done (i32.lt_u (local.get $n) (i32.const 8)))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load (local.get $t)) (v128.load (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=16 (local.get $t)) (v128.load offset=16 (local.get $x)))))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load offset=32 (local.get $t)) (v128.load offset=32 (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=48 (local.get $t)) (v128.load offset=48 (local.get $x)))))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load offset=64 (local.get $t)) (v128.load offset=64 (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=80 (local.get $t)) (v128.load offset=80 (local.get $x)))))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load offset=96 (local.get $t)) (v128.load offset=96 (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=112 (local.get $t)) (v128.load offset=112 (local.get $x)))))
            (local.set $t (i32.add (local.get $t) (i32.const 128)))
            (local.set $x (i32.add (local.get $x) (i32.const 128)))
            (local.set $n (i32.sub (local.get $n) (i32.const 8)))
            (br $each_quad)))
        (block $pairs_done
          (loop $each_pair
            (br_if $pairs_done (i32.eqz (local.get $n)))
            (local.set $a (f32x4.add (local.get $a)
              (f32x4.mul (v128.load (local.get $t)) (v128.load (local.get $x)))))
            (local.set $b (f32x4.add (local.get $b)
              (f32x4.mul (v128.load offset=16 (local.get $t)) (v128.load offset=16 (local.get $x)))))
            (local.set $t (i32.add (local.get $t) (i32.const 32)))
            (local.set $x (i32.add (local.get $x) (i32.const 32)))
            (local.set $n (i32.sub (local.get $n) (i32.const 2)))
            (br $each_pair)))
        (local.set $a (f32x4.add (local.get $a) (local.get $b)))
        ;; float32 + 0.5 is exact in float64, so its floor is Math.round of the float32; as an i32
        ;; (saturated, NaN: 0) it is then clamped to int16
        (local.set $v (i32.trunc_sat_f64_s (f64.floor (f64.add (f64.promote_f32
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
          (f64.const 0.5)))))
        (if (i32.gt_s (local.get $v) (i32.const 32767)) (then (local.set $v (i32.const 32767))))
        (if (i32.lt_s (local.get $v) (i32.const -32768)) (then (local.set $v (i32.const -32768))))
        (i32.store16 (local.get $out) (local.get $v))
        (if (local.get $copy)
          (then
            (i32.store16 offset=2 (local.get $out) (i32.trunc_sat_f32_s (f32.load (local.get $copy))))
            (local.set $copy (i32.add (local.get $copy) (i32.const 4)))))
        (local.set $out (i32.add (local.get $out) (local.get $ostep)))
        (local.set $in (i32.add (local.get $in) (local.get $step)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $each_output))))
)
