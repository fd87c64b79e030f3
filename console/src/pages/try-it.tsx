/** Try it: speak into the microphone and hear the translation, straight from Gemini Live. */
export function TryIt() {
  return (
    <section aria-labelledby="try-title">
      <h1 id="try-title">Try it</h1>
    </section>
  );
}
