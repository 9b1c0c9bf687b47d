// The kiosk's keyboard panel (kiosk/keyboard.py hosts it at the bottom of the window): Qt Virtual Keyboard with
// Chinese pinyin and English; kioskLocale follows the language of the screen.
import QtQuick
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings

InputPanel {
    id: panel
    property string kioskLocale: "zh_CN"
    readonly property bool kioskSettled: active && !InputContext.animating  // shown and no longer sliding in
    onKioskLocaleChanged: VirtualKeyboardSettings.locale = kioskLocale
    // no sliding: the candidate bar and the keys stand still where a finger (or a test) taps them
    Binding { target: panel.keyboard; property: "noAnimations"; value: true }
    Component.onCompleted: {
        VirtualKeyboardSettings.activeLocales = ["zh_CN", "en_US"]
        VirtualKeyboardSettings.locale = kioskLocale
    }
}
