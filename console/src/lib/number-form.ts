/**
 * The number form's state and its mapping to and from the admin API's number settings. Pure: the
 * page renders `NumberForm` and sends `toSettings(form)`; tolk validates and answers per field.
 */

/** A number's settings as the admin API returns them (`GET /api/numbers/{number}`). */
export interface NumberSettings {
  number: string;
  destination: string;
  callerLanguage: string;
  agentLanguage: string;
  defaultLanguage?: string;
  languageMenu?: string[];
  rememberLanguage?: boolean;
  echoTargetLanguage: boolean;
  originalVolume: number;
  greeting?: string;
  mode?: string;
  interpretation?: string;
}

export interface NumberForm {
  number: string;
  destination: string;
  callerLanguage: string;
  agentLanguage: string;
  defaultLanguage: string;
  languageMenu: string[];
  rememberLanguage: boolean;
  echoTargetLanguage: boolean;
  /** As typed (a number from 0 to 1). */
  originalVolume: string;
  greeting: string;
  mode: string;
  interpretation: string;
}

export const EMPTY_FORM: NumberForm = {
  number: '',
  destination: '',
  callerLanguage: '',
  agentLanguage: '',
  defaultLanguage: '',
  languageMenu: [],
  rememberLanguage: true,
  echoTargetLanguage: false,
  originalVolume: '0.16',
  greeting: '',
  mode: '',
  interpretation: '',
};

export function fromSettings(s: NumberSettings): NumberForm {
  return {
    number: s.number,
    destination: s.destination,
    callerLanguage: s.callerLanguage,
    agentLanguage: s.agentLanguage,
    defaultLanguage: s.defaultLanguage ?? '',
    languageMenu: [...(s.languageMenu ?? [])],
    rememberLanguage: s.rememberLanguage ?? true,
    echoTargetLanguage: s.echoTargetLanguage,
    originalVolume: String(s.originalVolume),
    greeting: s.greeting ?? '',
    mode: s.mode ?? '',
    interpretation: s.interpretation ?? '',
  };
}

/**
 * The request body for `PUT /api/numbers/{number}`: text trimmed, empty optional settings left out
 * (tolk applies their defaults), anything typed passed on as typed so tolk can say what is wrong.
 */
export function toSettings(f: NumberForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    number: f.number.trim(),
    destination: f.destination.trim(),
    callerLanguage: f.callerLanguage.trim(),
    agentLanguage: f.agentLanguage.trim(),
    rememberLanguage: f.rememberLanguage,
    echoTargetLanguage: f.echoTargetLanguage,
  };
  if (f.defaultLanguage.trim() !== '') body.defaultLanguage = f.defaultLanguage.trim();
  const menu = f.languageMenu.map((l) => l.trim()).filter((l) => l !== '');
  if (menu.length > 0) body.languageMenu = menu;
  const volume = f.originalVolume.trim();
  if (volume !== '') body.originalVolume = Number.isFinite(Number(volume)) ? Number(volume) : volume;
  if (f.greeting.trim() !== '') body.greeting = f.greeting;
  if (f.mode !== '') body.mode = f.mode;
  if (f.interpretation !== '') body.interpretation = f.interpretation;
  return body;
}
