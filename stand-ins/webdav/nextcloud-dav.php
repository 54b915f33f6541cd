<?php
/*
 * A Nextcloud-like WebDAV server for tests and the sandbox.
 *
 * The WebDAV work is done by sabre/dav, the library Nextcloud is built on (Debian's
 * php-sabre-dav 1.8). This router adds the Nextcloud behaviour our service depends on, as
 * https://docs.nextcloud.com/server/latest/developer_manual/client_apis/WebDAV/basic.html describes it:
 *   - files live under /remote.php/dav/files/<user>/ and need HTTP Basic auth (401 otherwise);
 *   - every path segment is normalised to NFC, so an NFD name lands on disk as NFC;
 *   - names Nextcloud's FilenameValidator refuses are answered 400 when something is created;
 *   - a PUT into a missing folder is answered 404 as Nextcloud 32 does (409, RFC 4918 and
 *     Apache, per a switch);
 *   - X-NC-WebDAV-Auto-Mkcol: 1 honoured (Nextcloud 32), creating the missing parents one level
 *     at a time, check-then-create, with no protection against parallel requests, as
 *     apps/dav/lib/Upload/UploadAutoMkcolPlugin.php does;
 *   - a "folder race" switch that makes every creation of a missing folder lose the race to a
 *     parallel request, deterministically: the folder appears (the other request made it) and
 *     this request gets the loser's answer Nextcloud 32 gives: a MKCOL 403 "Could not create
 *     directory", an auto-mkcol PUT 423 "… is locked", 404 "File with name //X could not be
 *     located" or 403 "Could not create directory /X", in turn;
 *   - locked paths: any write at or under one is answered 423, as Nextcloud's FileLocked;
 *   - OC-Checksum sent with a PUT is stored and returned as oc:checksums in PROPFIND, as
 *     apps/dav/lib/Connector/Sabre/FilesPlugin.php does (stored as sent, never computed);
 *   - failures injected at run time through a control endpoint (507, 423, 503, 401, …).
 *
 * Run:  DAV_ROOT=<files> DAV_STATE_DIR=<control state> DAV_USER=<user> DAV_PASSWORD=<password> \
 *       php -S 127.0.0.1:<port> nextcloud-dav.php
 *
 * Control endpoint (no auth: it belongs to the test, not to Nextcloud):
 *   GET  /__control            current switches
 *   POST /__control            JSON {reset?: true, missingParentStatus?: 404|409, autoMkcol?: bool,
 *                              folderRace?: bool, lockedPaths?: ["Chantiers/X", …],
 *                              password?: "new app password" | null,
 *                              failNext?: {status, times?: 1, method?: "PUT", path?: "substring"} | [...]}
 *   GET  /__control/requests   every WebDAV request seen since the last reset, oldest first
 *
 * Switches live in files under DAV_STATE_DIR because PHP_CLI_SERVER_WORKERS runs each request in
 * one of several processes; a file lock makes "fail the next N requests" exact across them.
 */
declare(strict_types=1);

require_once 'Sabre/autoload.php'; // Debian's php-sabre-dav, found on the default include_path

const FILES_PREFIX = '/remote.php/dav/files/';
const CONTROL_PATH = '/__control';
const DEFAULT_SWITCHES = [
    'failures' => [],
    'missingParentStatus' => 404,
    'autoMkcol' => true,
    'folderRace' => false,
    'racesLost' => 0,
    'lockedPaths' => [],
    // The app password from now on (the office revoked DAV_PASSWORD or made a new one); null: DAV_PASSWORD.
    'password' => null,
];
const CREATING_METHODS = ['PUT', 'MKCOL'];
const WRITING_METHODS = ['PUT', 'MKCOL', 'DELETE', 'MOVE', 'COPY', 'PROPPATCH'];
const OC_NS = 'http://owncloud.org/ns';
const CHECKSUMS_PROPERTY = '{' . OC_NS . '}checksums';
/** The answers of an auto-mkcol PUT that lost the parent's creation, in the order they are given. */
const LOST_AUTO_MKCOL_ANSWERS = [423, 404, 403];

const EXCEPTION_CLASSES = [
    400 => 'OCA\\DAV\\Connector\\Sabre\\Exception\\InvalidPath',
    401 => 'Sabre\\DAV\\Exception\\NotAuthenticated',
    403 => 'Sabre\\DAV\\Exception\\Forbidden',
    404 => 'Sabre\\DAV\\Exception\\NotFound',
    409 => 'Sabre\\DAV\\Exception\\Conflict',
    423 => 'OCA\\DAV\\Connector\\Sabre\\Exception\\FileLocked',
    429 => 'OCA\\DAV\\Connector\\Sabre\\Exception\\TooManyRequests',
    503 => 'Sabre\\DAV\\Exception\\ServiceUnavailable',
    507 => 'Sabre\\DAV\\Exception\\InsufficientStorage',
];

final class HttpError extends Exception
{
    public function __construct(public readonly int $status, string $message)
    {
        parent::__construct($message);
    }
}

function env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        throw new RuntimeException("environment variable $name is required");
    }
    return $value;
}

function sendError(int $status, string $message, array $headers = []): void
{
    http_response_code($status);
    header('Content-Type: application/xml; charset=utf-8');
    foreach ($headers as $name => $value) {
        header("$name: $value");
    }
    $class = EXCEPTION_CLASSES[$status] ?? 'Sabre\\DAV\\Exception';
    $escape = fn (string $text) => htmlspecialchars($text, ENT_XML1 | ENT_NOQUOTES, 'UTF-8');
    // Nextcloud's InvalidPath adds o:retry/o:reason; the other errors are plain sabre errors.
    $extra = $status === 400 ? "\n  <o:retry>false</o:retry>\n  <o:reason>{$escape($message)}</o:reason>" : '';
    echo <<<XML
        <?xml version="1.0" encoding="utf-8"?>
        <d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns" xmlns:o="http://owncloud.org/ns">
          <s:exception>{$escape($class)}</s:exception>
          <s:message>{$escape($message)}</s:message>$extra
        </d:error>

        XML;
}

function sendJson(int $status, mixed $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
}

/** Runs $change on the switches under an exclusive lock and returns what it returns. */
function withSwitches(callable $change): mixed
{
    $handle = fopen(env('DAV_STATE_DIR') . '/switches.json', 'c+');
    flock($handle, LOCK_EX);
    try {
        $text = stream_get_contents($handle);
        $switches = $text === '' ? DEFAULT_SWITCHES : json_decode($text, true);
        $result = $change($switches);
        ftruncate($handle, 0);
        rewind($handle);
        fwrite($handle, json_encode($switches, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
        return $result;
    } finally {
        flock($handle, LOCK_UN);
        fclose($handle);
    }
}

function requestLogPath(): string
{
    return env('DAV_STATE_DIR') . '/requests.jsonl';
}

function handleControl(string $method, string $path): void
{
    if ($path === CONTROL_PATH . '/requests' && $method === 'GET') {
        $lines = is_file(requestLogPath()) ? file(requestLogPath(), FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];
        sendJson(200, array_map(fn (string $line) => json_decode($line), $lines)); // objects stay objects
        return;
    }
    if ($path !== CONTROL_PATH || !in_array($method, ['GET', 'POST'], true)) {
        sendJson(404, ['error' => 'unknown control request']);
        return;
    }
    $command = $method === 'POST' ? json_decode(file_get_contents('php://input') ?: 'null', true) : [];
    if (!is_array($command)) {
        sendJson(400, ['error' => 'the body must be a JSON object']);
        return;
    }
    try {
        sendJson(200, withSwitches(function (array &$switches) use ($command) {
            applyControlCommand($switches, $command);
            return $switches;
        }));
    } catch (InvalidArgumentException $error) {
        sendJson(400, ['error' => $error->getMessage()]);
    }
}

function applyControlCommand(array &$switches, array $command): void
{
    if ($command['reset'] ?? false) {
        $switches = DEFAULT_SWITCHES;
        @unlink(requestLogPath());
    }
    if (array_key_exists('missingParentStatus', $command)) {
        if (!in_array($command['missingParentStatus'], [404, 409], true)) {
            throw new InvalidArgumentException('missingParentStatus must be 404 or 409');
        }
        $switches['missingParentStatus'] = $command['missingParentStatus'];
    }
    if (array_key_exists('autoMkcol', $command)) {
        $switches['autoMkcol'] = $command['autoMkcol'] === true;
    }
    if (array_key_exists('folderRace', $command)) {
        $switches['folderRace'] = $command['folderRace'] === true;
    }
    if (array_key_exists('password', $command)) {
        if ($command['password'] !== null && (!is_string($command['password']) || $command['password'] === '')) {
            throw new InvalidArgumentException('password must be a non-empty string or null');
        }
        $switches['password'] = $command['password'];
    }
    if (array_key_exists('lockedPaths', $command)) {
        if (!is_array($command['lockedPaths']) || !array_is_list($command['lockedPaths'])) {
            throw new InvalidArgumentException('lockedPaths must be a list of paths');
        }
        $switches['lockedPaths'] = array_map(
            fn ($path) => implode('/', array_filter(explode('/', Normalizer::normalize((string) $path)), 'strlen')),
            $command['lockedPaths'],
        );
    }
    $failures = $command['failNext'] ?? [];
    foreach (array_is_list($failures) ? $failures : [$failures] as $failure) {
        $status = $failure['status'] ?? null;
        if (!is_int($status) || $status < 400 || $status > 599) {
            throw new InvalidArgumentException('failNext.status must be an HTTP error status (400-599)');
        }
        $switches['failures'][] = [
            'status' => $status,
            'remaining' => max(1, (int) ($failure['times'] ?? 1)),
            'method' => isset($failure['method']) ? strtoupper((string) $failure['method']) : null,
            'path' => isset($failure['path']) ? (string) $failure['path'] : null,
        ];
    }
}

/** Consumes one use of the first injected failure matching this request; its status, or null. */
function takeInjectedFailure(string $method, string $path): ?int
{
    return withSwitches(function (array &$switches) use ($method, $path): ?int {
        foreach ($switches['failures'] as $index => &$failure) {
            if ($failure['method'] !== null && $failure['method'] !== $method) continue;
            if ($failure['path'] !== null && !str_contains($path, $failure['path'])) continue;
            $status = $failure['status'];
            if (--$failure['remaining'] <= 0) {
                array_splice($switches['failures'], $index, 1);
            }
            return $status;
        }
        return null;
    });
}

function recordRequestAtEnd(string $method, string $path): void
{
    $headers = [];
    foreach (['Content-Length', 'Transfer-Encoding', 'If-None-Match', 'Depth', 'Destination', 'Overwrite', 'X-NC-WebDAV-Auto-Mkcol', 'OC-Checksum'] as $name) {
        $value = $_SERVER['HTTP_' . strtoupper(str_replace('-', '_', $name))] ?? $_SERVER[strtoupper(str_replace('-', '_', $name))] ?? null;
        if ($value !== null) $headers[strtolower($name)] = $value;
    }
    register_shutdown_function(function () use ($method, $path, $headers) {
        $entry = ['method' => $method, 'path' => $path, 'status' => http_response_code(), 'headers' => (object) $headers];
        file_put_contents(requestLogPath(), json_encode($entry, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . "\n", FILE_APPEND | LOCK_EX);
    });
}

function isAuthorised(string $user, string $password): bool
{
    $header = $_SERVER['HTTP_AUTHORIZATION'] ?? '';
    if (!preg_match('/^Basic\s+(\S+)$/i', $header, $match)) return false;
    $decoded = base64_decode($match[1], true);
    return $decoded !== false && hash_equals("$user:$password", $decoded);
}

/** The path under the user's files folder as NFC segments; throws HttpError. */
function userSegments(string $path, string $user): array
{
    $userBase = FILES_PREFIX . rawurlencode($user);
    if ($path !== $userBase && !str_starts_with($path, $userBase . '/')) {
        // Nextcloud only serves the authenticated user's own files tree.
        throw new HttpError(404, 'Principal with name ' . rawurldecode($path) . ' not found');
    }
    $segments = [];
    foreach (explode('/', substr($path, strlen($userBase))) as $raw) {
        if ($raw === '') continue;
        $segment = Normalizer::normalize(rawurldecode($raw), Normalizer::FORM_C);
        if ($segment === false) throw new HttpError(400, 'File name is not valid UTF-8');
        if (str_contains($segment, '/')) throw new HttpError(400, "\"/\" is not allowed inside a file or folder name.");
        $segments[] = $segment;
    }
    return $segments;
}

/** Nextcloud's FilenameValidator defaults, plus the Windows-compatibility trailing dot/space rule. */
function assertValidName(string $name): void
{
    $trimmed = trim($name);
    if ($trimmed === '') throw new HttpError(400, 'Empty filename is not allowed');
    if ($trimmed === '.' || $trimmed === '..') throw new HttpError(400, "\"$trimmed\" is a reserved name");
    if (isset($name[250])) throw new HttpError(400, 'Filename is too long');
    if (preg_match('/[\\\\\/\x00-\x1f]/', $name, $match)) {
        throw new HttpError(400, '"' . addcslashes($match[0], "\0..\37") . '" is not allowed inside a filename.');
    }
    if (strtolower($name) === '.htaccess') throw new HttpError(400, '".htaccess" is a forbidden file or folder name.');
    if (preg_match('/\.(part|filepart)$/i', $name, $match)) {
        throw new HttpError(400, "\"$match[0]\" is a forbidden file type.");
    }
    if (preg_match('/[. ]$/', $name)) throw new HttpError(400, 'Filenames must not end with a dot or a space.');
}

function encodePath(array $segments): string
{
    return implode('/', array_map('rawurlencode', $segments));
}

/** Checks and normalises the request; returns the NFC request URI sabre should serve. */
function prepareDavRequest(string $method, string $path, string $user, string $root): string
{
    $segments = userSegments($path, $user);
    $userBase = FILES_PREFIX . rawurlencode($user) . '/';
    if (in_array($method, CREATING_METHODS, true) && $segments !== []) {
        assertValidName(end($segments));
    }
    if (in_array($method, ['MOVE', 'COPY'], true) && isset($_SERVER['HTTP_DESTINATION'])) {
        $destination = userSegments((string) parse_url($_SERVER['HTTP_DESTINATION'], PHP_URL_PATH), $user);
        if ($destination !== []) assertValidName(end($destination));
        $_SERVER['HTTP_DESTINATION'] = $userBase . encodePath($destination);
    }
    assertUnlocked($method, $segments);
    if ($method === 'PUT' && count($segments) > 1) {
        ensurePutParent($root, array_slice($segments, 0, -1));
    }
    if ($method === 'MKCOL' && $segments !== []) {
        raceMkcol($root, $segments);
    }
    return $userBase . encodePath($segments);
}

/** Nextcloud's FileLocked: any write at or under a locked path. */
function assertUnlocked(string $method, array $segments): void
{
    if (!in_array($method, WRITING_METHODS, true)) return;
    $path = implode('/', $segments);
    foreach (currentSwitches()['lockedPaths'] as $locked) {
        if ($path === $locked || str_starts_with($path, $locked . '/')) {
            throw new HttpError(423, "\"$path\" is locked");
        }
    }
}

function currentSwitches(): array
{
    return withSwitches(fn (array $switches) => $switches);
}

function ensurePutParent(string $root, array $parentSegments): void
{
    $parent = $root . '/' . implode('/', $parentSegments);
    if (is_dir($parent) || file_exists($parent)) return; // a file as parent: sabre answers 409
    $switches = currentSwitches();
    if ($switches['autoMkcol'] && ($_SERVER['HTTP_X_NC_WEBDAV_AUTO_MKCOL'] ?? '') === '1') {
        array_walk($parentSegments, fn (string $segment) => assertValidName($segment));
        createParents($root, $parentSegments, $switches['folderRace']);
        return;
    }
    $status = $switches['missingParentStatus'];
    throw new HttpError($status, $status === 404
        ? 'File with name ' . implode('/', $parentSegments) . ' could not be located'
        : 'Files can only be created as children of collections');
}

/**
 * Each missing level is checked, then created, with nothing in between to stop a parallel
 * request doing the same: the one whose mkdir comes second fails, as Nextcloud's does.
 */
function createParents(string $root, array $parentSegments, bool $loseRace): void
{
    for ($level = 1; $level <= count($parentSegments); $level++) {
        $relative = implode('/', array_slice($parentSegments, 0, $level));
        $folder = "$root/$relative";
        if (is_dir($folder)) continue;
        if (file_exists($folder)) return; // a file as parent: sabre answers 409
        $created = @mkdir($folder);
        if ($loseRace) throw lostAutoMkcolRace($relative);
        if (!$created) throw new HttpError(403, "Could not create directory /$relative");
    }
}

/** The parallel request won: the folder is there, and this PUT gets the next loser's answer. */
function lostAutoMkcolRace(string $relative): HttpError
{
    $status = withSwitches(function (array &$switches): int {
        return LOST_AUTO_MKCOL_ANSWERS[$switches['racesLost']++ % count(LOST_AUTO_MKCOL_ANSWERS)];
    });
    return match ($status) {
        423 => new HttpError(423, "\"$relative\" is locked"),
        404 => new HttpError(404, "File with name //$relative could not be located"),
        default => new HttpError(403, "Could not create directory /$relative"),
    };
}

/** With the folder race on, a MKCOL of a new folder finds it made by "someone else" first: 403. */
function raceMkcol(string $root, array $segments): void
{
    $relative = implode('/', $segments);
    $parent = $root . '/' . implode('/', array_slice($segments, 0, -1));
    if (!currentSwitches()['folderRace'] || !is_dir($parent) || file_exists("$root/$relative")) return;
    @mkdir("$root/$relative");
    throw new HttpError(403, "Could not create directory /$relative");
}

// ── Checksums ───────────────────────────────────────────────────────────────────────────

/** oc:checksums as Nextcloud writes it: one oc:checksum element holding what the client sent. */
final class ChecksumList extends Sabre\DAV\Property
{
    public function __construct(private readonly string $checksum)
    {
    }

    public function serialize(Sabre\DAV\Server $server, DOMElement $prop): void
    {
        $element = $prop->ownerDocument->createElement('oc:checksum'); // oc: is declared on the root
        $element->textContent = $this->checksum;
        $prop->appendChild($element);
    }
}

/** Runs $change on the stored checksums (file path → "SHA1:…") under an exclusive lock. */
function withChecksums(callable $change): mixed
{
    $handle = fopen(env('DAV_STATE_DIR') . '/checksums.json', 'c+');
    flock($handle, LOCK_EX);
    try {
        $text = stream_get_contents($handle);
        $checksums = $text === '' ? [] : json_decode($text, true);
        $result = $change($checksums);
        ftruncate($handle, 0);
        rewind($handle);
        fwrite($handle, json_encode($checksums, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_FORCE_OBJECT));
        return $result;
    } finally {
        flock($handle, LOCK_UN);
        fclose($handle);
    }
}

/** A PUT without OC-Checksum leaves the file without one, as Nextcloud clears it on a new version. */
function recordChecksum(string $uri, ?string $checksum): void
{
    withChecksums(function (array &$checksums) use ($uri, $checksum) {
        $path = trim($uri, '/');
        if ($checksum === null || $checksum === '') unset($checksums[$path]);
        else $checksums[$path] = $checksum;
    });
}

function serveChecksums(Sabre\DAV\Server $server): void
{
    $server->xmlNamespaces[OC_NS] = 'oc';
    $sent = trim((string) ($_SERVER['HTTP_OC_CHECKSUM'] ?? ''));
    $record = function (string $uri) use ($sent): void {
        recordChecksum($uri, $sent);
    };
    $server->subscribeEvent('afterCreateFile', $record);
    $server->subscribeEvent('afterWriteContent', $record);
    $server->subscribeEvent('afterUnbind', function (string $uri): void {
        recordChecksum($uri, null);
    });
    $server->subscribeEvent('beforeGetProperties', function ($path, $node, &$names, &$properties): void {
        $index = array_search(CHECKSUMS_PROPERTY, $names, true);
        if ($index === false) return;
        unset($names[$index]);
        $stored = $node instanceof Sabre\DAV\IFile
            ? withChecksums(fn (array $checksums) => $checksums[trim((string) $path, '/')] ?? null)
            : null;
        if ($stored === null) $properties[404][CHECKSUMS_PROPERTY] = null;
        else $properties[200][CHECKSUMS_PROPERTY] = new ChecksumList($stored);
    });
}

function main(): void
{
    $method = $_SERVER['REQUEST_METHOD'];
    $path = (string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
    if ($path === CONTROL_PATH || str_starts_with($path, CONTROL_PATH . '/')) {
        handleControl($method, $path);
        return;
    }
    recordRequestAtEnd($method, rawurldecode($path));
    [$user, $root] = [env('DAV_USER'), env('DAV_ROOT')];
    $password = currentSwitches()['password'] ?? env('DAV_PASSWORD');
    $challenge = ['WWW-Authenticate' => 'Basic realm="Nextcloud", charset="UTF-8"'];
    if (!isAuthorised($user, $password)) {
        sendError(401, 'No public access to this resource., Username or password was incorrect', $challenge);
        return;
    }
    $injected = takeInjectedFailure($method, rawurldecode($path));
    if ($injected !== null) {
        sendError($injected, "Injected failure $injected", $injected === 401 ? $challenge : []);
        return;
    }
    try {
        $_SERVER['REQUEST_URI'] = prepareDavRequest($method, $path, $user, $root);
    } catch (HttpError $error) {
        sendError($error->status, $error->getMessage());
        return;
    }
    $server = new Sabre\DAV\Server(new Sabre\DAV\FSExt\Directory($root));
    $server->setBaseUri(FILES_PREFIX . rawurlencode($user) . '/');
    serveChecksums($server);
    $server->exec();
}

main();
