/** Parsers for option values; a bad value is a usage error (exit 2) with commander's message. */
import { InvalidArgumentError } from 'commander';
import { normaliseDialledNumber } from '../config/numbers';

export function phoneNumber(value: string): string {
  const n = normaliseDialledNumber(value);
  if (n === undefined) throw new InvalidArgumentError(`'${value}' is not a phone number in E.164 form (e.g. +15550001111).`);
  return n;
}

export function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return n;
  };
}

export function volume(value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 (off) to 1 (full volume).');
  return n;
}

export function languageList(value: string): string[] {
  const codes = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (codes.length === 0) throw new InvalidArgumentError('expected language codes separated by commas (e.g. es,fr,en).');
  return codes;
}
