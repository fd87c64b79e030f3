import type { AddInterpreterRequest, AddPartyRequest, ConferenceEvent, ConferenceInfo, ConferenceTelephony } from '../../../src/call/ports';

/**
 * A conference that lists the parties given and places every interpreter leg asked for (its leg
 * ref names the generation and endpoint); it reports nothing by itself.
 */
export class FakeConferences implements ConferenceTelephony {
  readonly interpreters: { req: AddInterpreterRequest; legRef: string }[] = [];
  readonly watchers: ((e: ConferenceEvent) => void)[] = [];

  constructor(
    readonly name: string,
    readonly parties: string[],
  ) {}

  addParty(_req: AddPartyRequest): Promise<string> {
    return Promise.reject(new Error('no parties are dialled here'));
  }
  /** The error an interpreter leg is refused with (before it is placed), if it is. */
  refuse: (req: AddInterpreterRequest) => Error | undefined = () => undefined;

  addInterpreter(req: AddInterpreterRequest): Promise<string> {
    const refusal = this.refuse(req);
    if (refusal) return Promise.reject(refusal);
    const legRef = `CA-interpreter-${req.generation ?? 1}-${req.endpoint}`;
    this.interpreters.push({ req, legRef });
    return Promise.resolve(legRef);
  }
  find(): Promise<ConferenceInfo> {
    return Promise.resolve({ ref: `CF-${this.name}`, name: this.name, members: this.parties.map((legRef) => ({ legRef, whispering: false })) });
  }
  /** The legs taken out of a conference, in order. */
  readonly removed: string[] = [];
  removeLeg(_conference: string, legRef: string): Promise<void> {
    this.removed.push(legRef);
    return Promise.resolve();
  }
  /** The conferences ended, in order. */
  readonly ended: string[] = [];
  end(conference: string): Promise<void> {
    this.ended.push(conference);
    return Promise.resolve();
  }
  watch(_conference: ConferenceInfo, onEvent: (e: ConferenceEvent) => void): () => void {
    this.watchers.push(onEvent);
    return () => undefined;
  }
  /** What each member was told, in order. */
  readonly announced: { legRef: string; text: string; locale: string }[] = [];
  announce(_conference: string, legRef: string, text: string, locale: string): Promise<void> {
    this.announced.push({ legRef, text, locale });
    return Promise.resolve();
  }
}
