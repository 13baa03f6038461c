/*
 * stashplug.h - how fake Stash runs a raw plugin for runPluginOperation,
 * as Stash's pkg/plugin/raw.go does: the plugin's input document (args
 * and server_connection) on stdin, stdout read to its end, then decoded
 * as {"output": ..., "error": ...} (text that is not one JSON object
 * becomes the output as a string).
 */
#ifndef FAKE_STASHPLUG_H
#define FAKE_STASHPLUG_H

#include <jansson.h>

/* Run exec (the plugin's program) with input (a JSON document) on stdin,
 * in dir's environment, and decode its answer: 0 with *output (new
 * reference) on success; -1 with *error (new string) when the plugin set
 * "error" or could not be run. */
int fake_plugin_run(const char *exec, const char *input, json_t **output,
    char **error);

#endif
