/** Conferences: join an interpreter to a Twilio conference, see it, make it leave. */
export function Conferences() {
  return (
    <section aria-labelledby="conf-title">
      <h1 id="conf-title">Conferences</h1>
    </section>
  );
}
