;; Scans of PCM16 frames for src/audio/pcm.ts (simd-pcm.ts copies the frame to byte 0 of memory).
;; Both give exactly what pcm.ts's plain loops give: integer arithmetic, no rounding anywhere.
(module
  (memory (export "memory") 1)

  ;; The sum of the squares of the n int16 samples at byte p (16-byte aligned), as f64: exact,
  ;; since the sum stays below 2^53 for any n the memory holds. Eight samples a step: dot_i16x8_s
  ;; gives a*a + b*b per lane pair, at most 2^31, which read as unsigned is exact; each lane is
  ;; widened to u64 before it is added.
  (func (export "sumsq") (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $acc v128) (local $v v128) (local $s i64) (local $x i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $v (i32x4.dot_i16x8_s (local.get $v) (local.get $v)))
        (local.set $acc (i64x2.add (local.get $acc) (i64x2.extend_low_i32x4_u (local.get $v))))
        (local.set $acc (i64x2.add (local.get $acc) (i64x2.extend_high_i32x4_u (local.get $v))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step)))
    (local.set $s (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc))))
    (local.set $n (i32.and (local.get $n) (i32.const 7)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.eqz (local.get $n)))
        (local.set $x (i32.load16_s (local.get $p)))
        (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (i32.mul (local.get $x) (local.get $x)))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail)))
    (f64.convert_i64_u (local.get $s)))

  ;; 1 when every one of the n int16 samples at byte p (16-byte aligned) lies within
  ;; [-limit, limit] (0 <= limit <= 32767), else 0; stops at the first eight that hold one outside.
  (func (export "within") (param $p i32) (param $n i32) (param $limit i32) (result i32)
    (local $end i32) (local $hi v128) (local $lo v128) (local $v v128) (local $x i32)
    (local.set $hi (i16x8.splat (local.get $limit)))
    (local.set $lo (i16x8.splat (i32.sub (i32.const 0) (local.get $limit))))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 1))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (if (v128.any_true (v128.or (i16x8.gt_s (local.get $v) (local.get $hi)) (i16x8.lt_s (local.get $v) (local.get $lo))))
          (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step)))
    (local.set $n (i32.and (local.get $n) (i32.const 7)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.eqz (local.get $n)))
        (local.set $x (i32.load16_s (local.get $p)))
        (if (i32.or (i32.gt_s (local.get $x) (local.get $limit)) (i32.lt_s (local.get $x) (i32.sub (i32.const 0) (local.get $limit))))
          (then (return (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $tail)))
    (i32.const 1))
)
