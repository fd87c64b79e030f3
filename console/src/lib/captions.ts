/**
 * Captions from a translate session's transcription stream. The translate model streams pieces
 * of text and never ends a turn, so a caption ends after a pause (`gapMs` without new text in
 * either direction); the next piece starts a new one. Pure: the caller passes the time.
 */
export interface CaptionText {
  text: string;
  languageCode?: string;
}

export interface Caption {
  id: number;
  source: CaptionText;
  translation: CaptionText;
}

export class CaptionLog {
  private items: Caption[] = [];
  private lastAt = -Infinity;
  private nextId = 1;

  constructor(
    private readonly gapMs = 1500,
    private readonly keep = 50,
  ) {}

  get captions(): readonly Caption[] {
    return this.items;
  }

  add(kind: 'source' | 'translation', text: string, languageCode: string | undefined, now: number): void {
    let current = this.items[this.items.length - 1];
    if (!current || now - this.lastAt > this.gapMs) {
      current = { id: this.nextId++, source: { text: '' }, translation: { text: '' } };
      this.items = [...this.items, current].slice(-this.keep);
    }
    const part = current[kind];
    // The service's pieces carry their own spacing: join them as they come.
    const updated: Caption = { ...current, [kind]: { text: part.text + text, languageCode: languageCode ?? part.languageCode } };
    this.items = [...this.items.slice(0, -1), updated];
    this.lastAt = now;
  }
}
