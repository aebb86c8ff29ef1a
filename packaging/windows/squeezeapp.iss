; Inno Setup 6 script: a per-user installer for the PyInstaller bundle (no admin rights).
; packaging/build.py runs it on Windows after PyInstaller:
;   iscc /DAppVersion=0.1.0 /DBundleDir=build\pyinstaller\squeezeapp ^
;        /DIconFile=build\icons\squeezeapp.ico /DOutputDir=dist packaging\windows\squeezeapp.iss
; Output: squeezeapp-<version>-windows-x64-setup.exe

#ifndef AppVersion
  #error Pass /DAppVersion=<version> (packaging/build.py reads it from pyproject.toml)
#endif
#ifndef BundleDir
  #error Pass /DBundleDir=<the PyInstaller one-folder bundle>
#endif
#ifndef IconFile
  #error Pass /DIconFile=<squeezeapp.ico rendered by packaging/icons.py>
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; The AppId ties upgrades and the uninstaller to this product; never change it.
AppId={{6B0F3C52-8E4A-4D3B-9C1E-5A7D2F9E4B10}
AppName=SqueezeApp
AppVersion={#AppVersion}
AppVerName=SqueezeApp {#AppVersion}
AppPublisher=squeezeapp developers
AppPublisherURL=https://github.com/squeezeapp/squeezeapp
VersionInfoVersion={#AppVersion}
; Per-user install: {autopf} is %LOCALAPPDATA%\Programs, no UAC prompt. Users who run the
; installer as administrator may still choose "all users" in the dialog.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\SqueezeApp
DefaultGroupName=SqueezeApp
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=squeezeapp-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\squeezeapp-gui.exe
UninstallDisplayName=SqueezeApp {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Closes a running SqueezeApp before files are replaced (upgrade, uninstall).
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: both executables and _internal\ (Python, Qt, OpenCV, model).
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade must not keep libraries the new version no longer ships.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\SqueezeApp"; Filename: "{app}\squeezeapp-gui.exe"; Comment: "Classify what your webcam sees"
Name: "{autodesktop}\SqueezeApp"; Filename: "{app}\squeezeapp-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\squeezeapp-gui.exe"; Description: "{cm:LaunchProgram,SqueezeApp}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python writes no caches into the bundle, but a crashed upgrade may leave a partial folder.
Type: dirifempty; Name: "{app}"
