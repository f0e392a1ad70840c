// A confirmation dialog of the page's own (window.confirm would be a native Qt
// dialog that tests and screenshots cannot see).

import { $ } from './dom.js';

/** Ask; resolves true when the person confirmed. */
export function confirmDialog({ title, text, confirm = 'OK', danger = true }) {
  const dialog = $('confirm-dialog');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = confirm;
  $('confirm-ok').className = danger ? 'btn btn-danger' : 'btn btn-primary';
  return new Promise((resolve) => {
    const finish = (value) => {
      $('confirm-ok').removeEventListener('click', onOk);
      $('confirm-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onOk = () => finish(true);
    const onCancel = (event) => {
      if (event) event.preventDefault();
      finish(false);
    };
    $('confirm-ok').addEventListener('click', onOk);
    $('confirm-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}
