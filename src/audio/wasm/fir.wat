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
;; The same sums for symmetric taps (h[k] == h[N-1-k]), sixteen outputs at a time, the two
;; samples a tap pair meets added before the one multiply (half the multiplications). The input is
;; first split into its $stride phases (phase p holds input[j * stride + p], j < $plen; with stride
;; 1 the input is its only phase and stays where it is), so that for each tap pair the samples of
;; sixteen consecutive outputs lie side by side in two phases. The pairs come as segments of $segs
;; (each 8 i32: taps, terms, x phase, x start, y phase, y start), term i of a segment adding
;;
;;   taps[i] * (phase_x[o + xstart + i] + phase_y[o + ystart - i])      to output o,
;;
;; its taps stored four times over (one vector each). Each output adds its terms one by one, in
;; the order of the segments and their terms, in its own lane: the same order for every output,
;; whatever its place in a block. $outputs outputs (a multiple of 16) are written: as i16 (rounded
;; as fir_i16 rounds, clamped) with $int16, else as f32; with $copy (a byte offset, 0: none) each
;; i16 output is followed by the f32 at copy + 4 * o, an int16 value, as i16 (the upsampler's copy
;; phase).
  (func (export "fir_sym")
    (param $segs i32) (param $nsegs i32) (param $in i32) (param $stride i32) (param $phases i32) (param $plen i32)
    (param $out i32) (param $outputs i32) (param $copy i32) (param $int16 i32)
    (local $p i32) (local $j i32) (local $src i32) (local $dst i32) (local $pbytes i32)
    (local $blk i32) (local $seg i32) (local $sege i32) (local $t i32) (local $n i32) (local $x i32) (local $y i32)
    (local $tap v128) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $r v128) (local $r2 v128) (local $k v128) (local $k2 v128)
    (local.set $pbytes (i32.shl (local.get $plen) (i32.const 2)))
    ;; the phases (stride > 1): phase p at $phases + p * plen * 4
    (if (i32.gt_u (local.get $stride) (i32.const 1))
      (then
        (loop $each_phase
          (local.set $src (i32.add (local.get $in) (i32.shl (local.get $p) (i32.const 2))))
          (local.set $dst (i32.add (local.get $phases) (i32.mul (local.get $p) (local.get $pbytes))))
          (local.set $j (local.get $plen))
          (block $phase_done
            (loop $each_sample
              (br_if $phase_done (i32.eqz (local.get $j)))
              (f32.store (local.get $dst) (f32.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (i32.shl (local.get $stride) (i32.const 2))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $j (i32.sub (local.get $j) (i32.const 1)))
              (br $each_sample)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $each_phase (i32.lt_u (local.get $p) (local.get $stride)))))
      (else (local.set $phases (local.get $in))))
    (local.set $sege (i32.add (local.get $segs) (i32.shl (local.get $nsegs) (i32.const 5))))
    (block $done
      (loop $each_block
        (br_if $done (i32.ge_u (local.get $blk) (local.get $outputs)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $c (v128.const f32x4 0 0 0 0))
        (local.set $d (v128.const f32x4 0 0 0 0))
        (local.set $seg (local.get $segs))
        (loop $each_segment
          (local.set $t (i32.load (local.get $seg)))
          (local.set $n (i32.load offset=4 (local.get $seg)))
          ;; phase_x[o + xstart], phase_y[o + ystart] for the block's first output o
          (local.set $x (i32.add (i32.add (local.get $phases) (i32.mul (i32.load offset=8 (local.get $seg)) (local.get $pbytes)))
            (i32.shl (i32.add (i32.load offset=12 (local.get $seg)) (local.get $blk)) (i32.const 2))))
          (local.set $y (i32.add (i32.add (local.get $phases) (i32.mul (i32.load offset=16 (local.get $seg)) (local.get $pbytes)))
            (i32.shl (i32.add (i32.load offset=20 (local.get $seg)) (local.get $blk)) (i32.const 2))))
          (block $terms_done
            (loop $each_term
              (br_if $terms_done (i32.eqz (local.get $n)))
              (local.set $tap (v128.load (local.get $t)))
              (local.set $a (f32x4.add (local.get $a) (f32x4.mul (local.get $tap)
                (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $y))))))
              (local.set $b (f32x4.add (local.get $b) (f32x4.mul (local.get $tap)
                (f32x4.add (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y))))))
              (local.set $c (f32x4.add (local.get $c) (f32x4.mul (local.get $tap)
                (f32x4.add (v128.load offset=32 (local.get $x)) (v128.load offset=32 (local.get $y))))))
              (local.set $d (f32x4.add (local.get $d) (f32x4.mul (local.get $tap)
                (f32x4.add (v128.load offset=48 (local.get $x)) (v128.load offset=48 (local.get $y))))))
              (local.set $t (i32.add (local.get $t) (i32.const 16)))
              (local.set $x (i32.add (local.get $x) (i32.const 4)))
              (local.set $y (i32.sub (local.get $y) (i32.const 4)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $each_term)))
          (local.set $seg (i32.add (local.get $seg) (i32.const 32)))
          (br_if $each_segment (i32.lt_u (local.get $seg) (local.get $sege))))
        (if (local.get $int16)
          (then
            ;; float32 + 0.5 is exact in float64, so its floor is Math.round of the float32; as
            ;; i32 (saturated, NaN: 0), then narrowed to i16 with saturation (the clamp)
            (local.set $r (i16x8.narrow_i32x4_s
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4 (local.get $a)) (v128.const f64x2 0.5 0.5))))
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))) (v128.const f64x2 0.5 0.5)))))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4 (local.get $b)) (v128.const f64x2 0.5 0.5))))
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))) (v128.const f64x2 0.5 0.5)))))))
            (local.set $r2 (i16x8.narrow_i32x4_s
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4 (local.get $c)) (v128.const f64x2 0.5 0.5))))
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c) (local.get $c))) (v128.const f64x2 0.5 0.5)))))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4 (local.get $d)) (v128.const f64x2 0.5 0.5))))
                (i32x4.trunc_sat_f64x2_s_zero (f64x2.floor (f64x2.add (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))) (v128.const f64x2 0.5 0.5)))))))
            (if (local.get $copy)
              (then
                (local.set $k (i16x8.narrow_i32x4_s
                  (i32x4.trunc_sat_f32x4_s (v128.load (local.get $copy)))
                  (i32x4.trunc_sat_f32x4_s (v128.load offset=16 (local.get $copy)))))
                (local.set $k2 (i16x8.narrow_i32x4_s
                  (i32x4.trunc_sat_f32x4_s (v128.load offset=32 (local.get $copy)))
                  (i32x4.trunc_sat_f32x4_s (v128.load offset=48 (local.get $copy)))))
                (v128.store (local.get $out) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $r) (local.get $k)))
                (v128.store offset=16 (local.get $out) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $r) (local.get $k)))
                (v128.store offset=32 (local.get $out) (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $r2) (local.get $k2)))
                (v128.store offset=48 (local.get $out) (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $r2) (local.get $k2)))
                (local.set $copy (i32.add (local.get $copy) (i32.const 64)))
                (local.set $out (i32.add (local.get $out) (i32.const 64))))
              (else
                (v128.store (local.get $out) (local.get $r))
                (v128.store offset=16 (local.get $out) (local.get $r2))
                (local.set $out (i32.add (local.get $out) (i32.const 32))))))
          (else
            (v128.store (local.get $out) (local.get $a))
            (v128.store offset=16 (local.get $out) (local.get $b))
            (v128.store offset=32 (local.get $out) (local.get $c))
            (v128.store offset=48 (local.get $out) (local.get $d))
            (local.set $out (i32.add (local.get $out) (i32.const 64)))))
        (local.set $blk (i32.add (local.get $blk) (i32.const 16)))
        (br $each_block))))
)
