// Namespaces: their options with M3's defaults and rules, and their names.
export {
  BOOLEAN_NAMESPACE_OPTIONS,
  DEFAULT_NAMESPACE_OPTIONS,
  ImmutableNamespaceOptionError,
  InvalidNamespaceOptionError,
  MAX_NAMESPACE_DURATION_MS,
  MAX_NAMESPACE_NAME_BYTES,
  type NamespaceIndexOptions,
  type NamespaceOptionRelation,
  type NamespaceOptionRule,
  type NamespaceOptions,
  type NamespaceOptionsInput,
  namespaceOptionsUpdate,
  resolveNamespaceOptions,
  UPDATABLE_NAMESPACE_OPTIONS,
  validateNamespaceName,
  validateNamespaceOptions,
} from "./options.js";
