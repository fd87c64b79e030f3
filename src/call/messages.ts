/**
 * What tolk itself says to callers, per language. Spoken by the telephony's text-to-speech (before
 * and after the media stream) or played from pre-rendered prompts (inside a stream). A language
 * without its own text falls back to English, so every caller hears something.
 */

export type MessageKey = 'greeting' | 'busy' | 'noAnswer' | 'unreachable' | 'unknownNumber' | 'allLinesBusy' | 'translationUnavailable' | 'interpretationBack' | 'serviceEnding' | 'menuOption';

interface LanguageMessages {
  /** Voice locale for the telephony's text-to-speech (BCP-47, e.g. es-ES). */
  sayLocale: string;
  /** espeak-ng voice used to pre-render stream prompts. */
  espeakVoice: string;
  text: Record<MessageKey, string>;
}

const MESSAGES: Record<string, LanguageMessages> = {
  en: {
    sayLocale: 'en-US',
    espeakVoice: 'en-us',
    text: {
      greeting: 'Please hold while we connect you. This call is interpreted automatically.',
      allLinesBusy: 'All our lines are busy at the moment. Please call again in a few minutes. Goodbye.',
      busy: 'The person you are calling is busy. Please try again later. Goodbye.',
      noAnswer: 'The person you are calling did not answer. Please try again later. Goodbye.',
      unreachable: 'We could not reach the person you are calling. Please try again later. Goodbye.',
      unknownNumber: 'Sorry, this number is not in service. Goodbye.',
      translationUnavailable: 'Interpretation is unavailable. You will now hear the other person directly.',
      interpretationBack: 'Interpretation is available again.',
      serviceEnding: 'This call has to end now for service maintenance. Please call again. Goodbye.',
      menuOption: 'For English, press {digit}.',
    },
  },
  es: {
    sayLocale: 'es-ES',
    espeakVoice: 'es',
    text: {
      greeting: 'Por favor, espere mientras le conectamos. Esta llamada se interpreta automáticamente.',
      allLinesBusy: 'Todas nuestras líneas están ocupadas en este momento. Por favor, vuelva a llamar en unos minutos. Adiós.',
      busy: 'La persona a la que llama está ocupada. Por favor, inténtelo más tarde. Adiós.',
      noAnswer: 'La persona a la que llama no ha contestado. Por favor, inténtelo más tarde. Adiós.',
      unreachable: 'No hemos podido contactar con la persona a la que llama. Por favor, inténtelo más tarde. Adiós.',
      unknownNumber: 'Lo sentimos, este número no está en servicio. Adiós.',
      translationUnavailable: 'La interpretación no está disponible. Ahora oirá directamente a la otra persona.',
      interpretationBack: 'La interpretación vuelve a estar disponible.',
      serviceEnding: 'Esta llamada tiene que terminar ahora por mantenimiento del servicio. Por favor, vuelva a llamar. Adiós.',
      menuOption: 'Para español, pulse {digit}.',
    },
  },
  de: {
    sayLocale: 'de-DE',
    espeakVoice: 'de',
    text: {
      greeting: 'Bitte warten Sie, Sie werden verbunden. Dieses Gespräch wird automatisch gedolmetscht.',
      allLinesBusy: 'Zurzeit sind alle Leitungen belegt. Bitte rufen Sie in einigen Minuten wieder an. Auf Wiederhören.',
      busy: 'Der gewünschte Gesprächspartner ist besetzt. Bitte versuchen Sie es später noch einmal. Auf Wiederhören.',
      noAnswer: 'Der gewünschte Gesprächspartner meldet sich nicht. Bitte versuchen Sie es später noch einmal. Auf Wiederhören.',
      unreachable: 'Der gewünschte Gesprächspartner ist nicht erreichbar. Bitte versuchen Sie es später noch einmal. Auf Wiederhören.',
      unknownNumber: 'Diese Rufnummer ist leider nicht vergeben. Auf Wiederhören.',
      translationUnavailable: 'Die Verdolmetschung ist nicht verfügbar. Sie hören Ihren Gesprächspartner jetzt direkt.',
      interpretationBack: 'Die Verdolmetschung ist wieder verfügbar.',
      serviceEnding: 'Dieses Gespräch muss wegen Wartungsarbeiten jetzt beendet werden. Bitte rufen Sie erneut an. Auf Wiederhören.',
      menuOption: 'Für Deutsch drücken Sie die {digit}.',
    },
  },
  fr: {
    sayLocale: 'fr-FR',
    espeakVoice: 'fr',
    text: {
      greeting: 'Veuillez patienter, nous vous mettons en relation. Cet appel est interprété automatiquement.',
      allLinesBusy: 'Toutes nos lignes sont occupées pour le moment. Veuillez rappeler dans quelques minutes. Au revoir.',
      busy: 'Votre correspondant est occupé. Veuillez rappeler plus tard. Au revoir.',
      noAnswer: 'Votre correspondant ne répond pas. Veuillez rappeler plus tard. Au revoir.',
      unreachable: 'Votre correspondant est injoignable. Veuillez rappeler plus tard. Au revoir.',
      unknownNumber: "Désolé, ce numéro n'est pas en service. Au revoir.",
      translationUnavailable: "L'interprétation n'est pas disponible. Vous entendez maintenant directement votre correspondant.",
      interpretationBack: "L'interprétation est de nouveau disponible.",
      serviceEnding: 'Cet appel doit se terminer maintenant pour une opération de maintenance. Veuillez rappeler. Au revoir.',
      menuOption: 'Pour le français, appuyez sur {digit}.',
    },
  },
  it: {
    sayLocale: 'it-IT',
    espeakVoice: 'it',
    text: {
      greeting: "Attenda in linea, la stiamo collegando. Questa chiamata è interpretata automaticamente.",
      allLinesBusy: 'Al momento tutte le nostre linee sono occupate. La preghiamo di richiamare tra qualche minuto. Arrivederci.',
      busy: 'La persona chiamata è occupata. La preghiamo di riprovare più tardi. Arrivederci.',
      noAnswer: 'La persona chiamata non risponde. La preghiamo di riprovare più tardi. Arrivederci.',
      unreachable: 'Non è stato possibile raggiungere la persona chiamata. La preghiamo di riprovare più tardi. Arrivederci.',
      unknownNumber: 'Siamo spiacenti, questo numero non è attivo. Arrivederci.',
      translationUnavailable: "L'interpretazione non è disponibile. Ora sentirà direttamente l'altra persona.",
      interpretationBack: "L'interpretazione è di nuovo disponibile.",
      serviceEnding: 'Questa chiamata deve terminare ora per manutenzione del servizio. La preghiamo di richiamare. Arrivederci.',
      menuOption: "Per l'italiano, premere {digit}.",
    },
  },
  pt: {
    sayLocale: 'pt-BR',
    espeakVoice: 'pt-br',
    text: {
      greeting: 'Por favor, aguarde enquanto conectamos sua chamada. Esta chamada é interpretada automaticamente.',
      allLinesBusy: 'Todas as nossas linhas estão ocupadas no momento. Ligue novamente daqui a alguns minutos. Até logo.',
      busy: 'A pessoa para quem você está ligando está ocupada. Tente novamente mais tarde. Até logo.',
      noAnswer: 'A pessoa para quem você está ligando não atendeu. Tente novamente mais tarde. Até logo.',
      unreachable: 'Não foi possível falar com a pessoa para quem você está ligando. Tente novamente mais tarde. Até logo.',
      unknownNumber: 'Desculpe, este número não está em serviço. Até logo.',
      translationUnavailable: 'A interpretação não está disponível. Agora você ouvirá a outra pessoa diretamente.',
      interpretationBack: 'A interpretação está disponível novamente.',
      serviceEnding: 'Esta chamada tem de terminar agora devido a manutenção do serviço. Por favor, ligue novamente. Adeus.',
      menuOption: 'Para português, pressione {digit}.',
    },
  },
  pl: {
    sayLocale: 'pl-PL',
    espeakVoice: 'pl',
    text: {
      greeting: 'Proszę czekać, trwa łączenie. Ta rozmowa jest tłumaczona automatycznie.',
      allLinesBusy: 'Wszystkie nasze linie są w tej chwili zajęte. Prosimy zadzwonić ponownie za kilka minut. Do widzenia.',
      busy: 'Numer, z którym próbujesz się połączyć, jest zajęty. Spróbuj ponownie później. Do widzenia.',
      noAnswer: 'Osoba, do której dzwonisz, nie odbiera. Spróbuj ponownie później. Do widzenia.',
      unreachable: 'Nie udało się połączyć z osobą, do której dzwonisz. Spróbuj ponownie później. Do widzenia.',
      unknownNumber: 'Przepraszamy, ten numer jest nieaktywny. Do widzenia.',
      translationUnavailable: 'Tłumaczenie jest niedostępne. Teraz usłyszysz rozmówcę bezpośrednio.',
      interpretationBack: 'Tłumaczenie jest znowu dostępne.',
      serviceEnding: 'To połączenie musi zostać teraz zakończone z powodu prac serwisowych. Prosimy zadzwonić ponownie. Do widzenia.',
      menuOption: 'Aby kontynuować po polsku, naciśnij {digit}.',
    },
  },
  nl: {
    sayLocale: 'nl-NL',
    espeakVoice: 'nl',
    text: {
      greeting: 'Een ogenblik geduld, u wordt doorverbonden. Dit gesprek wordt automatisch getolkt.',
      allLinesBusy: 'Al onze lijnen zijn op dit moment bezet. Belt u over een paar minuten opnieuw. Tot ziens.',
      busy: 'De persoon die u belt is in gesprek. Probeer het later opnieuw. Tot ziens.',
      noAnswer: 'De persoon die u belt neemt niet op. Probeer het later opnieuw. Tot ziens.',
      unreachable: 'De persoon die u belt is niet bereikbaar. Probeer het later opnieuw. Tot ziens.',
      unknownNumber: 'Dit nummer is helaas niet in gebruik. Tot ziens.',
      translationUnavailable: 'Tolken is niet beschikbaar. U hoort de ander nu rechtstreeks.',
      interpretationBack: 'Tolken is weer beschikbaar.',
      serviceEnding: 'Dit gesprek moet nu worden beëindigd wegens onderhoud. Belt u alstublieft opnieuw. Tot ziens.',
      menuOption: 'Voor Nederlands, druk op {digit}.',
    },
  },
};

/** The language whose messages are used for `code` (its base language, else English). */
function messagesFor(code: string): LanguageMessages {
  return MESSAGES[code] ?? MESSAGES[code.split('-')[0].toLowerCase()] ?? MESSAGES.en;
}

export function message(key: MessageKey, language: string, values: Record<string, string> = {}): string {
  return messagesFor(language).text[key].replace(/\{(\w+)\}/g, (all, name: string) => values[name] ?? all);
}

/** Whether tolk has its own texts for `language` (else it speaks English). */
export function hasMessages(language: string): boolean {
  return language in MESSAGES || language.split('-')[0].toLowerCase() in MESSAGES;
}

/** Voice locale for the telephony's text-to-speech, falling back to the English voice when tolk has no text for the language. */
export function sayLocale(language: string): string {
  return messagesFor(language).sayLocale;
}

/** Languages that have their own messages (others hear English). */
export const MESSAGE_LANGUAGES: readonly string[] = Object.keys(MESSAGES);

export function espeakVoice(language: string): string {
  return messagesFor(language).espeakVoice;
}
