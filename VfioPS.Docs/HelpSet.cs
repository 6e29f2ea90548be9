using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using VfioPS.Docs.Examples;
using VfioPS.Docs.Markdown;

namespace VfioPS.Docs;

/// <summary>The help sources of the repository: the PlatyPS pages in docs/ and the MAML in en-US/.</summary>
public sealed class HelpSet
{
    public const string MamlFileName = "VfioPS.dll-Help.xml";

    private HelpSet(string root, IReadOnlyList<CommandHelp> commands, ModulePage? modulePage)
    {
        Root = root;
        Commands = commands;
        ModulePage = modulePage;
    }

    public string Root { get; }
    public string DocsDirectory => Path.Combine(Root, "docs");
    public string MamlPath => Path.Combine(Root, "en-US", MamlFileName);
    public IReadOnlyList<CommandHelp> Commands { get; }
    public ModulePage? ModulePage { get; }

    public IReadOnlyList<DocExample> Examples => Commands.SelectMany(DocExample.From).ToList();

    /// <summary>
    /// Reads docs/*.md in the order PowerShell's wildcard expansion gives them to Measure-PlatyPSMarkdown; pages are
    /// told apart by their 'document type', as Measure-PlatyPSMarkdown does.
    /// </summary>
    public static HelpSet Load(string root)
    {
        var commands = new List<CommandHelp>();
        ModulePage? modulePage = null;
        foreach (string file in Directory.GetFiles(Path.Combine(root, "docs"), "*.md").OrderBy(f => Path.GetFileName(f), StringComparer.OrdinalIgnoreCase))
        {
            string text = File.ReadAllText(file);
            string type = CommandHelpMarkdownReader.ReadFrontMatter(text.Replace("\r", "", StringComparison.Ordinal).Split('\n'), file)
                .TryGetValue("document type", out var t) ? t : "cmdlet";
            if (type == "module") modulePage = ModulePage.Parse(text, file);
            else commands.Add(CommandHelpMarkdownReader.Parse(text, file));
        }
        return new HelpSet(root, commands, modulePage);
    }

    /// <summary>The MAML PlatyPS writes for the pages (all of them name VfioPS.dll-Help.xml as their help file).</summary>
    public string GenerateMaml() => Maml.MamlWriter.Write(Commands.Where(c => c.ExternalHelpFile == MamlFileName));

    /// <summary>The repository root above the first of <paramref name="starts"/> that is in one: the folder with VfioPS.psd1 and VfioPS.sln.</summary>
    public static string FindRoot(params string[] starts)
    {
        foreach (string start in starts)
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "VfioPS.psd1")) && File.Exists(Path.Combine(dir.FullName, "VfioPS.sln")))
                    return dir.FullName;
        throw new DirectoryNotFoundException($"No repository root (VfioPS.psd1 and VfioPS.sln) above {string.Join(" or ", starts)}.");
    }
}
