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
 *   - a PUT into a missing folder is answered 409 or 404 (older Nextcloud), per a switch;
 *   - optional X-NC-WebDAV-Auto-Mkcol: 1 (Nextcloud 32+), off unless switched on;
 *   - failures injected at run time through a control endpoint (507, 423, 503, 401, …).
 *
 * Run:  DAV_ROOT=<files> DAV_STATE_DIR=<control state> DAV_USER=<user> DAV_PASSWORD=<password> \
 *       php -S 127.0.0.1:<port> nextcloud-dav.php
 *
 * Control endpoint (no auth: it belongs to the test, not to Nextcloud):
 *   GET  /__control            current switches
 *   POST /__control            JSON {reset?: true, missingParentStatus?: 404|409, autoMkcol?: bool,
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
const DEFAULT_SWITCHES = ['failures' => [], 'missingParentStatus' => 409, 'autoMkcol' => false];
const CREATING_METHODS = ['PUT', 'MKCOL'];

const EXCEPTION_CLASSES = [
    400 => 'OCA\\DAV\\Connector\\Sabre\\Exception\\InvalidPath',
    401 => 'Sabre\\DAV\\Exception\\NotAuthenticated',
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
    $escape = fn (string $text) => htmlspecialchars($text, ENT_XML1 | ENT_QUOTES, 'UTF-8');
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
    foreach (['Content-Length', 'Transfer-Encoding', 'If-None-Match', 'Depth', 'Destination', 'Overwrite', 'X-NC-WebDAV-Auto-Mkcol'] as $name) {
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
    if ($method === 'PUT' && count($segments) > 1) {
        ensurePutParent($root, array_slice($segments, 0, -1));
    }
    return $userBase . encodePath($segments);
}

function ensurePutParent(string $root, array $parentSegments): void
{
    $parent = $root . '/' . implode('/', $parentSegments);
    if (is_dir($parent) || file_exists($parent)) return; // a file as parent: sabre answers 409
    $switches = withSwitches(fn (array $switches) => $switches);
    if ($switches['autoMkcol'] && ($_SERVER['HTTP_X_NC_WEBDAV_AUTO_MKCOL'] ?? '') === '1') {
        array_walk($parentSegments, fn (string $segment) => assertValidName($segment));
        @mkdir($parent, 0777, true); // a concurrent request may create it first: that is fine
        return;
    }
    $status = $switches['missingParentStatus'];
    throw new HttpError($status, $status === 404
        ? 'File with name ' . implode('/', $parentSegments) . ' could not be located'
        : 'Files can only be created as children of collections');
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
    [$user, $password, $root] = [env('DAV_USER'), env('DAV_PASSWORD'), env('DAV_ROOT')];
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
    $server->exec();
}

main();
