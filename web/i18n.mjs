// The composer's own chrome strings (button labels, headings, placeholders) in en / de / fr.
// Everything about a failed turn or a fallback (hints, card chrome, notice rows) comes from the
// core's catalogues instead (see core.mjs); nothing here describes an error.

export const LOCALES = ['en', 'de', 'fr'];

/** Each language's own name, shown in the language picker whatever the current language. */
export const LOCALE_NAMES = { en: 'English', de: 'Deutsch', fr: 'Français' };

const STRINGS = {
  en: {
    appName: 'reroute',
    navigation: 'Navigation',
    newChat: 'New chat',
    providerSettings: 'Provider settings',
    language: 'Language',
    model: 'Model',
    routes: 'Routes',
    models: 'Models',
    modelsLoading: 'Loading models…',
    modelsUnavailable: 'No models available',
    conversation: 'Conversation',
    emptyTitle: 'How can I help?',
    emptyBody: 'Replies stream in as they arrive. If a model fails, reroute switches to another one and tells you.',
    message: 'Message',
    placeholder: 'Message the model…',
    composerHelp: 'Enter to send, Shift+Enter for a new line. Paste images to attach them.',
    send: 'Send',
    stop: 'Stop',
    you: 'You',
    assistant: 'Assistant',
    notice: 'Notice',
    thinking: 'Waiting for the first words…',
    incomplete: 'Incomplete answer',
    stopped: 'Stopped',
    continue: 'Continue',
    switchModel: 'Switch model',
    startNewChat: 'Start a new chat',
    retryIn: 'available in {seconds} s',
    attachments: 'Attached images',
    imageAlt: 'Pasted image {n}',
    removeImage: 'Remove image {n}',
    close: 'Close',
    settingsBody: 'Provider API keys are configured on the gateway, never in the browser. Set the environment variable named in the gateway configuration for each provider, then restart the gateway.',
    settingsModels: 'Models and routes offered by this gateway',
    servedBy: 'Answered by {model}',
  },
  de: {
    appName: 'reroute',
    navigation: 'Navigation',
    newChat: 'Neuer Chat',
    providerSettings: 'Anbietereinstellungen',
    language: 'Sprache',
    model: 'Modell',
    routes: 'Routen',
    models: 'Modelle',
    modelsLoading: 'Modelle werden geladen…',
    modelsUnavailable: 'Keine Modelle verfügbar',
    conversation: 'Unterhaltung',
    emptyTitle: 'Wie kann ich helfen?',
    emptyBody: 'Antworten erscheinen, während sie eintreffen. Fällt ein Modell aus, wechselt reroute zu einem anderen und sagt es dir.',
    message: 'Nachricht',
    placeholder: 'Nachricht an das Modell…',
    composerHelp: 'Enter zum Senden, Umschalt+Enter für eine neue Zeile. Füge Bilder ein, um sie anzuhängen.',
    send: 'Senden',
    stop: 'Stoppen',
    you: 'Du',
    assistant: 'Assistent',
    notice: 'Hinweis',
    thinking: 'Warte auf die ersten Wörter…',
    incomplete: 'Unvollständige Antwort',
    stopped: 'Gestoppt',
    continue: 'Fortsetzen',
    switchModel: 'Modell wechseln',
    startNewChat: 'Neuen Chat starten',
    retryIn: 'verfügbar in {seconds} s',
    attachments: 'Angehängte Bilder',
    imageAlt: 'Eingefügtes Bild {n}',
    removeImage: 'Bild {n} entfernen',
    close: 'Schließen',
    settingsBody: 'API-Schlüssel der Anbieter werden am Gateway konfiguriert, nie im Browser. Setze für jeden Anbieter die in der Gateway-Konfiguration genannte Umgebungsvariable und starte das Gateway neu.',
    settingsModels: 'Modelle und Routen dieses Gateways',
    servedBy: 'Beantwortet von {model}',
  },
  fr: {
    appName: 'reroute',
    navigation: 'Navigation',
    newChat: 'Nouveau chat',
    providerSettings: 'Paramètres des fournisseurs',
    language: 'Langue',
    model: 'Modèle',
    routes: 'Routes',
    models: 'Modèles',
    modelsLoading: 'Chargement des modèles…',
    modelsUnavailable: 'Aucun modèle disponible',
    conversation: 'Conversation',
    emptyTitle: 'Comment puis-je aider ?',
    emptyBody: 'Les réponses s\'affichent au fil de l\'eau. Si un modèle échoue, reroute passe à un autre et te le dit.',
    message: 'Message',
    placeholder: 'Écris au modèle…',
    composerHelp: 'Entrée pour envoyer, Maj+Entrée pour une nouvelle ligne. Colle des images pour les joindre.',
    send: 'Envoyer',
    stop: 'Arrêter',
    you: 'Toi',
    assistant: 'Assistant',
    notice: 'Avis',
    thinking: 'En attente des premiers mots…',
    incomplete: 'Réponse incomplète',
    stopped: 'Arrêté',
    continue: 'Continuer',
    switchModel: 'Changer de modèle',
    startNewChat: 'Démarrer un nouveau chat',
    retryIn: 'disponible dans {seconds} s',
    attachments: 'Images jointes',
    imageAlt: 'Image collée {n}',
    removeImage: 'Retirer l\'image {n}',
    close: 'Fermer',
    settingsBody: 'Les clés API des fournisseurs se configurent sur la passerelle, jamais dans le navigateur. Définis pour chaque fournisseur la variable d\'environnement indiquée dans la configuration de la passerelle, puis redémarre la passerelle.',
    settingsModels: 'Modèles et routes proposés par cette passerelle',
    servedBy: 'Réponse de {model}',
  },
};

/** The language to start in: a saved choice, else the browser's first supported language, else English. */
export function initialLocale(saved, preferred = []) {
  if (LOCALES.includes(saved)) return saved;
  for (const tag of preferred) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

/** A chrome string; `{name}` placeholders are filled from `params` in one pass. */
export function chrome(locale, key, params) {
  const text = (STRINGS[locale] ?? STRINGS.en)[key] ?? STRINGS.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Every key, for tests that check the three tables agree. */
export const CHROME_KEYS = Object.keys(STRINGS.en);
export const CHROME_TABLES = STRINGS;
