// Namespaces: their options with M3's defaults and rules, and their names.
export {
  ImmutableNamespaceOptionError,
  InvalidNamespaceOptionError,
  type NamespaceOptionRelation,
  type NamespaceOptionRule,
} from "./errors.js";
export {
  BOOLEAN_NAMESPACE_OPTIONS,
  DEFAULT_NAMESPACE_OPTIONS,
  FILE_FORMATS,
  type FileFormat,
  MAX_NAMESPACE_DURATION_MS,
  MAX_NAMESPACE_NAME_BYTES,
  type NamespaceIndexOptions,
  type NamespaceOptions,
  type NamespaceOptionsInput,
  namespaceOptionsUpdate,
  resolveNamespaceOptions,
  UPDATABLE_NAMESPACE_OPTIONS,
  validateNamespaceName,
  validateNamespaceOptions,
} from "./options.js";
