import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { CommandIDs, PLUGIN_ID } from '../commands';
import { DEFAULT_HUB_URL, FuncxService, type HubSettings } from '../service';
import { IFuncxService } from '../tokens';

/** The hub connection, configured from the settings `hubUrl` and `token`. */
export const corePlugin: JupyterFrontEndPlugin<IFuncxService> = {
  id: PLUGIN_ID,
  description: 'Connects to the funcX hub named in the settings.',
  autoStart: true,
  provides: IFuncxService,
  requires: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, registry: ISettingRegistry): IFuncxService => {
    const service = new FuncxService();
    let notificationId: string | null = null;

    service.hubUnreachable.connect(async (_, message) => {
      // Toasts emitted before the shell is restored only reach the notification list, not the screen.
      await app.restored;
      if (service.connectionState === 'connected') return;
      if (notificationId) Notification.dismiss(notificationId);
      notificationId = Notification.error(`funcX: ${message}`, {
        autoClose: false,
        actions: [
          { label: 'Retry', callback: () => service.reconnect() },
          { label: 'Settings', callback: () => void app.commands.execute(CommandIDs.openSettings) }
        ]
      });
    });
    service.connectionChanged.connect((_, state) => {
      if (state === 'connected' && notificationId) {
        Notification.dismiss(notificationId);
        notificationId = null;
        Notification.success(`funcX: connected to the hub at ${service.hubUrl}`, { autoClose: 3000 });
      }
    });

    const read = (settings: ISettingRegistry.ISettings): HubSettings => ({
      hubUrl: ((settings.composite.hubUrl as string) || DEFAULT_HUB_URL).trim(),
      token: ((settings.composite.token as string) ?? '').trim()
    });
    registry.load(PLUGIN_ID).then(
      settings => {
        service.configure(read(settings));
        settings.changed.connect(() => service.configure(read(settings)));
      },
      (reason: Error) => {
        console.error('funcX: could not load the settings; using the defaults.', reason);
        service.configure({ hubUrl: DEFAULT_HUB_URL, token: '' });
      }
    );
    return service;
  }
};
