// invoke(command, {camelCaseArgs}) — the shell's Tauri calls, answered by pywebview's js_api.
//
// A page written for Tauri does `invoke('get_session_sqlite', {workspacePath, sessionId})`;
// pywebview exposes the same commands as positional methods on window.pywebview.api.
// This module maps one onto the other (argument order as in the contract), waits for
// the bridge to be ready, and turns a rejected call into an Error whose `code` is the
// contract's error code (VALIDATION, NOT_FOUND, CONFLICT, DATABASE, MIGRATION, IO,
// JSON), `name` the Python class name and `command` the command that failed.

/** Positional argument names of each command, in the contract's order. */
export const COMMANDS = Object.freeze({
  create_session_sqlite: ['workspacePath', 'session'],
  update_session_sqlite: ['workspacePath', 'session'],
  get_session_sqlite: ['workspacePath', 'sessionId'],
  get_all_sessions_sqlite: ['workspacePath'],
  delete_session_sqlite: ['workspacePath', 'sessionId'],
  add_chat_message_sqlite: ['workspacePath', 'sessionId', 'message'],
  update_instance_status_sqlite: ['workspacePath', 'sessionId', 'instanceId', 'newStatus'],
  get_database_stats: [],
  optimize_database: [],
  verify_database_integrity: [],
  list_workspaces: [],
  list_session_summaries: ['workspacePath', 'query'],
  get_metrics: [],
  search_sessions: ['query', 'options'],
  build_search_index: ['batch'],
  // phase 2: the shell's JSON-era commands (routed by the storage mode)
  create_session: ['workspacePath', 'session'],
  update_session: ['workspacePath', 'session'],
  get_session: ['workspacePath', 'sessionId'],
  get_all_sessions: ['workspacePath'],
  delete_session: ['workspacePath', 'sessionId'],
  add_chat_message: ['workspacePath', 'sessionId', 'message'],
  update_instance_status: ['workspacePath', 'sessionId', 'instanceId', 'newStatus'],
  // the storage mode, the legacy import, the consistency check
  get_storage_mode: [],
  set_storage_mode: ['mode'],
  start_import: ['sourceDir', 'options'],
  get_import_status: ['jobId'],
  cancel_import: ['jobId'],
  check_consistency: [],
  bind_workspace: ['workspaceHash', 'path'],
  // which agent wins
  get_insights: ['options'],
  // live: the change log, streaming output
  changes_since: ['token', 'waitMs'],
  append_instance_output: ['workspacePath', 'sessionId', 'instanceId', 'text'],
  // issue 11: archive, trash, backups, export and import
  archive_session: ['workspacePath', 'sessionId', 'archived'],
  list_trash: ['workspacePath'],
  restore_session: ['workspacePath', 'sessionId', 'trashId'],
  purge_trash: ['workspacePath', 'sessionIds', 'trashIds'],
  create_backup: ['path'],
  list_backups: [],
  restore_backup: ['path'],
  export_sessions: ['selection', 'format', 'path', 'options'],
  import_bundle: ['path', 'options'],
  // issue 17: the first launch's sample history, in a database of its own
  use_sample_history: ['sample'],
});

/** Arguments that may be left out (sent as null). */
const OPTIONAL = Object.freeze({
  list_session_summaries: ['query'],
  search_sessions: ['options'],
  start_import: ['sourceDir', 'options'],
  get_insights: ['options'],
  changes_since: ['token'],
  list_trash: ['workspacePath'],
  restore_session: ['trashId'],
  purge_trash: ['workspacePath', 'sessionIds', 'trashIds'],
  create_backup: ['path'],
  export_sessions: ['selection', 'options'],
  import_bundle: ['options'],
  use_sample_history: ['sample'],
});

/** Python exception class name -> the contract's error code. */
export const ERROR_CODES = Object.freeze({
  SessionError: 'INTERNAL',
  ValidationError: 'VALIDATION',
  NotFoundError: 'NOT_FOUND',
  ConflictError: 'CONFLICT',
  DatabaseError: 'DATABASE',
  MigrationError: 'MIGRATION',
  FileError: 'IO',
  JsonError: 'JSON',
  Cancelled: 'CANCELLED',
});

/** How long to wait for the bridge before giving up (ms). */
const READY_TIMEOUT_MS = 30000;

function bridgeReady() {
  const pv = window.pywebview;
  if (!pv || !pv.api || typeof pv.api.get_database_stats !== 'function') return false;
  // On Qt the calls travel over a QWebChannel that connects after the api is built.
  return pv.platform !== 'qtwebengine' || Boolean(pv._QWebChannel);
}

let readyPromise = null;

/** Resolves once window.pywebview.api can take calls. */
export function whenReady() {
  if (readyPromise) return readyPromise;
  readyPromise = new Promise((resolve, reject) => {
    if (bridgeReady()) {
      resolve();
      return;
    }
    const started = Date.now();
    const done = () => {
      window.removeEventListener('pywebviewready', onReady);
      clearInterval(timer);
    };
    const onReady = () => {
      if (bridgeReady()) {
        done();
        resolve();
      }
    };
    // The event may have fired before this module ran; poll as a fallback.
    const timer = setInterval(() => {
      if (bridgeReady()) {
        done();
        resolve();
      } else if (Date.now() - started > READY_TIMEOUT_MS) {
        done();
        readyPromise = null;
        reject(makeError('BRIDGE', 'BridgeUnavailable', '',
          'The session database bridge did not start. Is the page open in the ait42-session window?'));
      }
    }, 50);
    window.addEventListener('pywebviewready', onReady);
  });
  return readyPromise;
}

function makeError(code, name, command, message) {
  const error = new Error(message);
  error.name = name;
  error.code = code;
  error.command = command;
  return error;
}

/** Turn whatever pywebview rejected with into an Error carrying `code`. */
export function toInvokeError(command, raw) {
  const name = (raw && raw.name) || 'Error';
  const message = (raw && raw.message) || String(raw);
  const code = ERROR_CODES[name] || 'INTERNAL';
  const error = makeError(code, name, command, message);
  if (raw && raw.stack) error.pythonStack = String(raw.stack);
  return error;
}

/**
 * Call a bridge command the way Tauri's invoke does.
 * @param {string} command one of COMMANDS
 * @param {Object<string, any>} [args] camelCase arguments by name
 * @returns {Promise<any>} the command's JSON result
 */
export async function invoke(command, args = {}) {
  if (!Object.prototype.hasOwnProperty.call(COMMANDS, command)) {
    throw makeError('UNKNOWN_COMMAND', 'UnknownCommand', command, `Unknown command "${command}".`);
  }
  const names = COMMANDS[command];
  const optional = OPTIONAL[command] || [];
  const given = args || {};
  const positional = names.map((name) => {
    if (given[name] === undefined) {
      if (optional.includes(name)) return null;
      throw makeError('VALIDATION', 'ValidationError', command,
        `${command}: missing argument "${name}".`);
    }
    return given[name];
  });
  await whenReady();
  const fn = window.pywebview.api[command];
  if (typeof fn !== 'function') {
    throw makeError('UNKNOWN_COMMAND', 'UnknownCommand', command,
      `The bridge does not offer "${command}".`);
  }
  try {
    return await fn(...positional);
  } catch (raw) {
    throw toInvokeError(command, raw);
  }
}

export default invoke;
