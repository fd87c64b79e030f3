/** Live: the calls in progress with their captions (built on tolk's call event stream). */
export function Live(_props: { params: string[] }) {
  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live</h1>
      <p>Calls in progress appear here with live captions.</p>
    </section>
  );
}
