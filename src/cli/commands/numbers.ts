/** `tolk numbers ...`: list, show, set, remove, forget-caller, import and export per-number settings. */
import { Command } from 'commander';
import { stringify } from 'yaml';
import { parseNumbers, readNumbersFile, NumbersConfigError } from '../../config/numbers-file';
import { CliError, EXIT_FAILURE, EXIT_USAGE, usageError } from '../errors';
import { clientFor, outputFor, type CliContext } from '../context';
import { languageList, phoneNumber, volume } from '../option-parsers';
import { numberBlock, numbersTable, printJson, problemLines } from '../output';

interface SetOptions {
  destination?: string;
  callerLanguage?: string;
  agentLanguage?: string;
  defaultLanguage?: string;
  languageMenu?: string[] | false;
  rememberLanguage?: boolean;
  echoTargetLanguage?: boolean;
  originalVolume?: number;
  greeting?: string | false;
  mode?: string;
  interpretation?: string;
  webhookUrl?: string | false;
}

/** The settings to PUT: the current ones (if any) with the given options applied. */
export function applySetOptions(current: Record<string, unknown>, o: SetOptions): Record<string, unknown> {
  const { number: _number, ...next } = current;
  const assign = (key: string, value: unknown) => {
    if (value === undefined) return;
    if (value === false && (key === 'greeting' || key === 'languageMenu' || key === 'webhookUrl')) delete next[key];
    else next[key] = value;
  };
  assign('destination', o.destination);
  assign('callerLanguage', o.callerLanguage);
  assign('agentLanguage', o.agentLanguage);
  assign('defaultLanguage', o.defaultLanguage);
  assign('languageMenu', o.languageMenu);
  assign('rememberLanguage', o.rememberLanguage);
  assign('echoTargetLanguage', o.echoTargetLanguage);
  assign('originalVolume', o.originalVolume);
  assign('greeting', o.greeting);
  assign('mode', o.mode);
  assign('interpretation', o.interpretation);
  assign('webhookUrl', o.webhookUrl);
  return next;
}

/** A server refusal with its per-field problems spelled out under the message. */
function withProblems(err: unknown, flags: boolean): unknown {
  if (err instanceof CliError && err.problems.length > 0) {
    return new CliError(`${err.message}:\n${problemLines(err.problems, flags).trimEnd()}`, err.exitCode, err.problems, err.status);
  }
  return err;
}

export function numbersCommand(ctx: CliContext): Command {
  const numbers = new Command('numbers').description('manage the numbers tolk serves and their languages');

  numbers
    .command('list')
    .description('list every configured number')
    .action(async (_opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const body = await clientFor(ctx, cmd).listNumbers();
      if (o.json) printJson(o, body);
      else o.out(numbersTable(body.numbers));
    });

  numbers
    .command('show')
    .description("show one number's settings")
    .argument('<number>', 'the tolk number (E.164)', phoneNumber)
    .action(async (number: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const settings = await clientFor(ctx, cmd).getNumber(number);
      if (!settings) throw new CliError(`number ${number} is not configured`, EXIT_FAILURE, [], 404);
      if (o.json) printJson(o, settings);
      else o.out(numberBlock(settings));
    });

  numbers
    .command('set')
    .description('add a number, or change the given settings of an existing one (the others are kept)')
    .argument('<number>', 'the tolk number callers dial (E.164)', phoneNumber)
    .option('--destination <address>', 'who tolk dials: +E.164 number, sip:user@host or client:identity')
    .option('--caller-language <code>', "language the caller speaks, or 'auto' to detect it")
    .option('--agent-language <code>', 'language the agent speaks')
    .option('--default-language <code>', "with --caller-language auto: the language if the caller has not spoken in time")
    .option('--language-menu <codes>', 'offer a keypad menu of these languages first (comma-separated, 2 to 9)', languageList)
    .option('--no-language-menu', 'remove the language menu')
    .option('--remember-language', "serve a returning caller in their last language (the default)")
    .option('--no-remember-language', "do not remember callers' languages")
    .option('--echo-target-language', 'also speak when the input is already in the target language')
    .option('--no-echo-target-language', 'stay silent when the input is already in the target language (the default)')
    .option('--original-volume <n>', 'volume of the original voice under the translation, 0 (off) to 1', volume)
    .option('--greeting <text>', 'spoken to the caller before the agent is dialled')
    .option('--no-greeting', 'remove the greeting')
    .option('--mode <mode>', "direct (two legs bridged through tolk, the default) or conference (a Twilio conference tolk interprets)")
    .option('--interpretation <how>', 'in a conference: whisper (each party hears only what is meant for them, the default) or open (everyone hears every translation)')
    .option('--webhook-url <url>', "where each ended call's record and transcript are POSTed (signed; default TOLK_WEBHOOK_URL)")
    .option('--no-webhook-url', 'remove the webhook URL (TOLK_WEBHOOK_URL, if set, applies again)')
    .addHelpText('after', '\nExample:\n  tolk numbers set +15550001111 --destination +15550002222 --caller-language es --agent-language en\n')
    .action(async (number: string, opts: SetOptions, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const client = clientFor(ctx, cmd);
      const current = (await client.getNumber(number)) ?? {};
      const body = applySetOptions({ ...current }, opts);
      let result;
      try {
        result = await client.putNumber(number, body);
      } catch (err) {
        throw withProblems(err, true);
      }
      if (o.json) printJson(o, result.settings);
      else o.out(`${result.created ? 'Added' : 'Updated'} ${number}; it applies from the next call.\n${numberBlock(result.settings)}`);
    });

  numbers
    .command('remove')
    .description('stop serving a number (its call records are kept)')
    .argument('<number>', 'the tolk number (E.164)', phoneNumber)
    .action(async (number: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      await clientFor(ctx, cmd).removeNumber(number);
      if (o.json) printJson(o, { number, removed: true });
      else o.out(`Removed ${number}.\n`);
    });

  numbers
    .command('forget-caller')
    .description("forget the language remembered for one caller of a number")
    .argument('<number>', 'the tolk number (E.164)', phoneNumber)
    .argument('<caller>', "the caller's number")
    .action(async (number: string, caller: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      await clientFor(ctx, cmd).forgetCallerLanguage(number, caller);
      if (o.json) printJson(o, { number, caller, forgotten: true });
      else o.out(`Forgot the language of ${caller} on ${number}.\n`);
    });

  numbers
    .command('import')
    .description('add or replace every number of a numbers file (YAML, as TOLK_NUMBERS); others are left alone')
    .argument('<file>', 'the YAML file')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      let entries;
      try {
        entries = parseNumbers(await readNumbersFile(file, file), file);
      } catch (err) {
        if (err instanceof NumbersConfigError) throw usageError(err.message);
        throw err;
      }
      const client = clientFor(ctx, cmd);
      const results: { number: string; result: 'created' | 'updated' | 'failed'; error?: string; problems?: unknown }[] = [];
      let refusedAsInvalid = 0;
      for (const settings of entries) {
        try {
          const { created } = await client.putNumber(settings.number, settings);
          results.push({ number: settings.number, result: created ? 'created' : 'updated' });
          if (!o.json) o.out(`${created ? 'created' : 'updated'}  ${settings.number}\n`);
        } catch (err) {
          if (!(err instanceof CliError) || err.status === undefined) throw err;
          results.push({ number: settings.number, result: 'failed', error: err.message, problems: err.problems });
          if (err.exitCode === EXIT_USAGE) refusedAsInvalid++;
          if (!o.json) o.err(`failed   ${settings.number}: ${err.message}\n${problemLines(err.problems)}`);
        }
      }
      const failed = results.filter((r) => r.result === 'failed').length;
      if (o.json) printJson(o, { results });
      else o.out(`Imported ${results.length - failed} of ${results.length} numbers from ${file}.\n`);
      // Entries tolk found invalid make the file invalid (exit 2); any other refusal is tolk's (exit 1).
      if (failed > 0) throw new CliError(`${failed} of ${results.length} numbers were refused`, refusedAsInvalid === failed ? EXIT_USAGE : EXIT_FAILURE);
    });

  numbers
    .command('export')
    .description('print every number as a numbers file (YAML; --json: JSON), for tolk numbers import')
    .action(async (_opts: unknown, cmd: Command) => {
      const o = outputFor(ctx, cmd);
      const body = await clientFor(ctx, cmd).listNumbers();
      if (o.json) printJson(o, body);
      else o.out(stringify({ numbers: body.numbers }));
    });

  return numbers;
}
