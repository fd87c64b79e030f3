/**
 * Readiness: whether this instance should be sent new calls. Components register named checks
 * (a queue connection, a database, the translation service's config); `/readyz` reports each one.
 * Draining (on shutdown) makes the instance unready at once while live calls finish.
 */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  draining: boolean;
  checks: Record<string, boolean>;
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  startDraining(): void {
    this.draining = true;
  }

  async report(timeoutMs = 2000): Promise<ReadinessReport> {
    const results: Record<string, boolean> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        results[name] = await withTimeout(Promise.resolve().then(check), timeoutMs).catch(() => false);
      }),
    );
    const ready = !this.draining && Object.values(results).every(Boolean);
    return { ready, draining: this.draining, checks: results };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('check timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
