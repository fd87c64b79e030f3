/**
 * Schema migrations, defined in code so they ship inside the compiled service. They run at start-up
 * (openStore); on PostgreSQL Kysely's migrator holds an advisory lock, so several tolk instances
 * starting together migrate once. Never edit a released migration: add a new one.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './database';

/** Text compared byte by byte on both databases, so keyset paging orders ids the same way. */
function binaryText(dialect: Dialect) {
  return dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
}

function initial(dialect: Dialect): Migration {
  const key = binaryText(dialect);
  const flag = dialect === 'postgres' ? 'boolean' : 'integer';
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('numbers')
        .addColumn('number', key, (c) => c.primaryKey())
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('caller_language', 'text', (c) => c.notNull())
        .addColumn('agent_language', 'text', (c) => c.notNull())
        .addColumn('echo_target_language', flag, (c) => c.notNull())
        .addColumn('original_volume', real, (c) => c.notNull())
        .addColumn('greeting', 'text')
        .addColumn('default_language', 'text')
        .addColumn('language_menu', 'text')
        .addColumn('remember_language', flag, (c) => c.notNull().defaultTo(sql.raw(dialect === 'postgres' ? 'true' : '1')))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('calls')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('from_number', 'text', (c) => c.notNull())
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('legs', 'text', (c) => c.notNull())
        .addColumn('caller_language', 'text', (c) => c.notNull())
        .addColumn('agent_language', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('answered_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('utterance_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('dropped_utterances', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('calls_started_idx').on('calls').columns(['started_at desc', 'id desc']).execute();
      await db.schema
        .createIndex('calls_number_started_idx')
        .on('calls')
        .columns(['number', 'started_at desc', 'id desc'])
        .execute();

      await db.schema
        .createTable('transcript_lines')
        .addColumn('call_id', key, (c) => c.notNull().references('calls.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('source_text', 'text', (c) => c.notNull())
        .addColumn('source_language', 'text', (c) => c.notNull())
        .addColumn('translation_text', 'text', (c) => c.notNull())
        .addColumn('translation_language', 'text', (c) => c.notNull())
        .addColumn('start_ms', real, (c) => c.notNull())
        .addColumn('end_ms', real, (c) => c.notNull())
        .addPrimaryKeyConstraint('transcript_lines_pk', ['call_id', 'seq'])
        .execute();

      await db.schema
        .createTable('caller_languages')
        .addColumn('number', 'text', (c) => c.notNull())
        .addColumn('caller', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('caller_languages_pk', ['number', 'caller'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['caller_languages', 'transcript_lines', 'calls', 'numbers']) await db.schema.dropTable(t).execute();
    },
  };
}

/**
 * What makes webhooks replay-proof: every Twilio CallSid a call ever had (so a CallSid never starts
 * a second call, after a restart or on another instance), and single-use keys that expire (stream
 * token nonces, status callbacks already handled).
 */
function replayProtection(dialect: Dialect): Migration {
  const key = binaryText(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('call_sids')
        .addColumn('call_sid', key, (c) => c.primaryKey())
        .addColumn('call_id', key, (c) => c.notNull().references('calls.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('call_sids_call_idx').on('call_sids').column('call_id').execute();
      await db.schema
        .createTable('replay_keys')
        .addColumn('key', key, (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('replay_keys_expiry_idx').on('replay_keys').column('expires_at').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['replay_keys', 'call_sids']) await db.schema.dropTable(t).execute();
    },
  };
}

/**
 * Conference interpreting: a number's mode and interpretation (null: the defaults, direct and
 * whisper), and a call record's kind and the conference it interpreted.
 */
function conferences(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('numbers').addColumn('mode', 'text').execute();
      await db.schema.alterTable('numbers').addColumn('interpretation', 'text').execute();
      await db.schema.alterTable('calls').addColumn('kind', 'text', (c) => c.notNull().defaultTo('direct')).execute();
      await db.schema.alterTable('calls').addColumn('conference', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const [table, column] of [['calls', 'conference'], ['calls', 'kind'], ['numbers', 'interpretation'], ['numbers', 'mode']]) {
        await db.schema.alterTable(table).dropColumn(column).execute();
      }
    },
  };
}

/** Each transcript line keeps its latency (null where none was measured, as in older lines). */
function utteranceLatency(dialect: Dialect): Migration {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('transcript_lines').addColumn('latency_ms', real).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('transcript_lines').dropColumn('latency_ms').execute();
    },
  };
}

/**
 * Webhook deliveries: a number's `webhook_url`, and every delivery owed to a customer, kept until
 * it succeeds or fails for good (so none is lost when the job queue's Redis is down or restarts).
 */
function webhookDeliveries(dialect: Dialect): Migration {
  const key = binaryText(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('numbers').addColumn('webhook_url', 'text').execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('call_id', key, (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('retry_until', 'bigint', (c) => c.notNull())
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema.createIndex('webhook_deliveries_call_event_idx').on('webhook_deliveries').columns(['call_id', 'event']).unique().execute();
      await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_created_idx').on('webhook_deliveries').columns(['created_at desc', 'id desc']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('webhook_deliveries').execute();
      await db.schema.alterTable('numbers').dropColumn('webhook_url').execute();
    },
  };
}

/**
 * How a call ended and who serves it: `end_reason` says why in a few words; `instance` names the
 * tolk instance serving a live call and `seen_at` is when it last said so, so that calls no
 * instance serves any more (one crashed) are found and closed.
 */
function callServing(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').addColumn('end_reason', 'text').execute();
      await db.schema.alterTable('calls').addColumn('instance', 'text').execute();
      await db.schema.alterTable('calls').addColumn('seen_at', 'bigint').execute();
      await db.schema.createIndex('calls_live_idx').on('calls').columns(['outcome', 'seen_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('calls_live_idx').execute();
      for (const c of ['seen_at', 'instance', 'end_reason']) await db.schema.alterTable('calls').dropColumn(c).execute();
    },
  };
}

/**
 * Calls tolk places (POST /api/calls): when and how often it calls the customer, as JSON; and an
 * index to find the calls waiting in a state ('scheduled').
 */
function outboundCalls(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').addColumn('outbound', 'text').execute();
      await db.schema.createIndex('calls_state_idx').on('calls').columns(['state', 'started_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('calls_state_idx').execute();
      await db.schema.alterTable('calls').dropColumn('outbound').execute();
    },
  };
}

/** Each time a live call moved to another instance (a rolling deploy), as JSON. */
function callMoves(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').addColumn('moves', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').dropColumn('moves').execute();
    },
  };
}

/** Why a call's interpretation failed, as JSON (null while it has not). */
function interpretationFailure(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').addColumn('interpretation_failure', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('calls').dropColumn('interpretation_failure').execute();
    },
  };
}

/** Each transcript line keeps who spoke it, when known (null otherwise, as in older lines). */
function utteranceSpeaker(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('transcript_lines').addColumn('speaker_role', 'text').execute();
      await db.schema.alterTable('transcript_lines').addColumn('speaker_call_sid', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('transcript_lines').dropColumn('speaker_call_sid').execute();
      await db.schema.alterTable('transcript_lines').dropColumn('speaker_role').execute();
    },
  };
}

/** Each transcript line keeps its lag behind the speech (null where none was measured, as in older lines). */
function utteranceLag(dialect: Dialect): Migration {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('transcript_lines').addColumn('lag_ms', real).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('transcript_lines').dropColumn('lag_ms').execute();
    },
  };
}

/**
 * Erasing what is kept past its time (retention/retention.ts): ended calls by when they ended and
 * by who called, remembered caller languages by when they were last remembered.
 */
function retention(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('calls_ended_idx').on('calls').column('ended_at').execute();
      await db.schema.createIndex('calls_from_idx').on('calls').column('from_number').execute();
      await db.schema.createIndex('caller_languages_updated_idx').on('caller_languages').column('updated_at').execute();
      await db.schema.createIndex('caller_languages_caller_idx').on('caller_languages').column('caller').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const index of ['caller_languages_caller_idx', 'caller_languages_updated_idx', 'calls_from_idx', 'calls_ended_idx']) await db.schema.dropIndex(index).execute();
    },
  };
}

/** Every migration in order; names sort in application order. */
export function storeMigrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-replay-protection': replayProtection(dialect),
    '0003-conferences': conferences(),
    '0004-utterance-latency': utteranceLatency(dialect),
    '0005-webhook-deliveries': webhookDeliveries(dialect),
    '0006-call-serving': callServing(),
    '0007-outbound-calls': outboundCalls(),
    '0008-call-moves': callMoves(),
    '0009-utterance-speaker': utteranceSpeaker(),
    '0010-utterance-lag': utteranceLag(dialect),
    '0011-retention': retention(),
    '0012-interpretation-failure': interpretationFailure(),
  };
}

export class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(storeMigrations(this.dialect));
  }
}
