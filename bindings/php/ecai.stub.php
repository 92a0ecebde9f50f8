<?php
/**
 * libecai PHP extension: declarations (documentation and IDE source of truth).
 * Keep ecai_arginfo.h in step with this file by hand (gen_stub.php needs network).
 * @generate-class-entries
 */
namespace Ecai;

/** Library version string, e.g. "0.1.0". */
function version(): string {}
/** Library version number (major*10000 + minor*100 + patch). */
function version_number(): int {}
/** Name of a status code. */
function status_str(int $status): string {}

/** Thrown for every failed libecai call; getCode() is the ecai_status (negative). */
class EcaiException extends \RuntimeException {}

/** @strict-properties @not-serializable */
final class Context {
    /** Builds a context from a JSON configuration (null: embedded defaults). */
    public function __construct(?string $json = null) {}
    /** Builds a context from a JSON configuration file. */
    public static function fromFile(string $path): Context {}
    /** Effective configuration as an associative array (secrets shown as "***"). */
    public function config(): array {}
    /** A string or number setting by dotted path. */
    public function get(string $path): string|int|float {}
}
